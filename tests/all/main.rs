//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

mod auth;
mod config;
#[cfg(feature = "cli")]
mod conformance;
mod emulator;
mod faults;
mod fuzz;
mod http;
mod load;
mod scoring;
mod sinks;
mod sources;
