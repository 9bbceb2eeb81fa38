//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

mod auth;
mod comparison;
mod comparison_planted;
mod config;
mod emulator;
mod emulator_fidelity;
mod evaluation_comparison;
mod faults;
mod guards;
mod http;
mod load;
mod names;
mod pipeline;
mod scenarios;
mod scoring;
mod security;
mod sinks;
mod sources;
mod support;
