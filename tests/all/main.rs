//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

mod auth;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_safety;
mod config;
#[cfg(feature = "cli")]
mod conformance;
mod emulator;
mod faults;
mod fuzz;
mod guards;
mod http;
mod load;
mod pipeline;
mod scoring;
mod security;
mod sinks;
mod sources;
