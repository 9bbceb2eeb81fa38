//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

#[cfg(feature = "cli")]
mod conformance;
mod emulator;
mod scoring;
mod sinks;
