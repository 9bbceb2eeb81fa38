//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over
//! real HTTP on loopback.

// A plain `cargo test` must not pass while skipping this suite: say what it needs instead.
#[cfg(not(all(feature = "emulator", feature = "test-util", feature = "cli")))]
compile_error!(
    "the integration suite (tests/all) needs the `emulator`, `test-util` and `cli` features: run `cargo test --all-features`"
);

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
