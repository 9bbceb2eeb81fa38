//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

mod auth;
mod cli;
mod config;
mod conformance;
mod emulator;
mod faults;
mod fuzz;
mod http;
mod load;
mod pipeline;
mod scoring;
mod security;
mod sinks;
mod sources;
