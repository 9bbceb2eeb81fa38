//! Evaluate contact-centre routing strategies from Genesys Cloud analytics.
//!
//! `genesys-routing-eval` answers one question: **which routing strategy serves our customers
//! best?** It pulls routing performance through the real Genesys Cloud API (conversation
//! aggregates jobs), scores each strategy on weighted KPIs, and hands the ranked result to a
//! BI webhook, an audit log, or a sink you write.
//!
//! # A tour
//!
//! Data flows one way, and each step is a module:
//!
//! ```text
//! ClientBuilder ─> client (token per attempt from auth's cache ─> http: send, retry, errors)
//!   ─> sources (aggregates | strategies) ─> metrics (MetricTable, KPIs) ─> scoring
//!   ─> evaluation (Report) ─> sink ─> AuditRecord
//! ```
//!
//! - [`Client`], built by its one builder [`ClientBuilder`], and the [`config`] types it takes:
//!   where Genesys is (a [`Region`](config::Region) or base URLs), credentials (never printed),
//!   timeouts, retry and poll policies.
//! - [`sources`]: the aggregates jobs API (the real one, default) and the tutorial's strategies
//!   facade, both turning results into one [`MetricTable`].
//! - [`metrics`]: raw counts per strategy and bucket, and [`Kpis`](metrics::Kpis) derived from
//!   them exactly (sums first, ratios after).
//! - [`scoring`]: pure, deterministic scoring as `SCORING.md` specifies it.
//! - [`comparison`]: on the same traffic (cells of queue and time), is a strategy better than
//!   the baseline, by how much and how sure: `COMPARISON.md`, pure like scoring.
//! - [`score_file`]: the offline score file (`routing-eval score`'s input and output), read
//!   and written on the caller's thread unless [`score_file::Options::parallel`] allows two.
//! - [`evaluation`]: the builder that runs all of the above, delivers the
//!   [`Report`](evaluation::Report) and writes the [`AuditRecord`](evaluation::AuditRecord).
//! - [`sink`]: the one extension point, [`Sink`](sink::Sink), with webhook, JSON lines, memory
//!   and tracing sinks provided.
//!
//! Here is a whole evaluation against the Genesys-like emulator of this repository (the
//! `routing-eval-emulator` crate, `crates/emulator`); against a real organisation, build the
//! client with [`ClientBuilder::from_env`] instead:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> genesys_routing_eval::Result<()> {
//! use routing_eval_emulator::Emulator;
//! use genesys_routing_eval::evaluation::Evaluation;
//! use genesys_routing_eval::sink::MemorySink;
//! use genesys_routing_eval::Client;
//!
//! let emulator = Emulator::start().await?;
//! let client = Client::builder()
//!     .api_base(emulator.base_url().as_str())
//!     .credentials(emulator.client_id(), emulator.client_secret().to_owned())
//!     .build()?;
//!
//! let reports = MemorySink::new();
//! let outcome = Evaluation::builder()
//!     .client(client)
//!     .last_days(14)
//!     .strategies(["Bullseye", "Standard", "Predictive"])
//!     .report_sink(reports.clone())
//!     .build()?
//!     .run()
//!     .await?;
//!
//! let best = outcome.report.ranked()[0];
//! println!("best: {} (score {:?})", best.strategy_id, best.score);
//! assert_eq!(reports.len(), 1);
//! assert_eq!(outcome.audit.evaluation_id, outcome.report.evaluation_id);
//! # Ok(())
//! # }
//! ```
//!
//! # Errors
//!
//! One [`Error`] type, classified by what the caller can do: branch on
//! [`Error::kind`] and [`Error::is_retryable`]. Errors from Genesys carry the HTTP status,
//! the Genesys `code`, and the correlation id to quote to support.
//! Configuration problems are all reported at once, before any network call
//! ([`Error::validation`]).
//!
//! # Time
//!
//! Retries, polling and token expiry read time only through [`time::TimeSource`], so tests
//! (and you) can replace the clock, the sleeper and the jitter.
//!
//! # Feature flags
//! - `rustls` (default): HTTPS through rustls.
//! - `test-util`: [`time::ManualClock`] and [`time::FixedJitter`] for deterministic tests.
//!
//! The `routing-eval` binary and the emulator are crates of their own in this workspace
//! (`crates/cli`, `crates/emulator`).
//!
//! # Guides
//!
//! The repository's `docs/` folder holds the long-form guides: architecture, configuration,
//! KPI definitions, choosing a scoring preset, sinks (and writing your own), the emulator,
//! running against a real organisation, differences from the tutorial the crate grew from,
//! security and performance.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
pub mod client;
pub mod comparison;
pub mod config;
pub mod error;
pub mod evaluation;
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod metrics;
pub mod names;
pub mod origin;
pub mod progress;
mod retry;
pub mod score_file;
pub mod scoring;
pub mod sink;
pub mod sources;
pub mod time;

pub use client::{Client, ClientBuilder};

/// The README's example, compiled as a doc-test so it stays true to the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use error::{ConnectFailure, Error, ErrorKind, Result, ValidationError};
pub use metrics::MetricTable;
pub use origin::DataOrigin;
