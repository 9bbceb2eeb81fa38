//! Integration tests: one binary, so the crate links once. Modules talk to the emulator over real HTTP on loopback.

mod auth;
mod config;
mod http;
