//! Evaluate contact-centre routing strategies from Genesys Cloud analytics.
//!
//! `genesys-routing-eval` pulls routing performance through the real Genesys Cloud API,
//! scores each strategy on weighted KPIs, and hands the result to webhooks, audit logs and
//! sinks of your own.
//!
//! Data flows one way:
//!
//! ```text
//! config -> auth (token cache) -> http (retry, errors) -> sources -> metrics (MetricTable)
//!        -> scoring -> evaluation report -> sinks -> audit record
//! ```
//!
//! # Feature flags
//! - `rustls` (default): HTTPS through rustls.
//! - `emulator`: an in-process Genesys-like server for tests and demos.
//! - `cli`: the `routing-eval` binary (implies `emulator`).
//! - `test-util`: a manual clock and fixed jitter for deterministic tests.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod client;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod evaluation;
pub mod http;
pub mod metrics;
pub mod progress;
pub mod scoring;
pub mod sink;
pub mod sources;
pub mod time;

pub use client::{Client, ClientBuilder};
pub use error::{Error, ErrorKind, Result, ValidationError};
pub use metrics::MetricTable;
