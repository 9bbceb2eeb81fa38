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
//! config ─> client (auth: token cache ─> http: retry, errors) ─> sources (aggregates | strategies)
//!        ─> metrics (MetricTable, KPIs) ─> scoring ─> evaluation (Report) ─> sink ─> AuditRecord
//! ```
//!
//! - [`config`] and [`Client`]: where Genesys is (a [`Region`](config::Region) or base URLs),
//!   credentials (never printed), timeouts, retry and poll policies.
//! - [`sources`]: the aggregates jobs API (the real one, default) and the tutorial's strategies
//!   facade, both turning results into one [`MetricTable`].
//! - [`metrics`]: raw counts per strategy and bucket, and [`Kpis`](metrics::Kpis) derived from
//!   them exactly (sums first, ratios after).
//! - [`scoring`]: pure, deterministic scoring as `SCORING.md` specifies it.
//! - [`evaluation`]: the builder that runs all of the above, delivers the
//!   [`Report`](evaluation::Report) and writes the [`AuditRecord`](evaluation::AuditRecord).
//! - [`sink`]: the one extension point, [`Sink`](sink::Sink), with webhook, JSON lines, memory
//!   and tracing sinks provided.
//!
//! Here is a whole evaluation against the embedded emulator (feature `emulator`); against a
//! real organisation, build the client with [`ClientBuilder::from_env`] instead:
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> genesys_routing_eval::Result<()> {
//! use genesys_routing_eval::emulator::Emulator;
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
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
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
//! - `emulator`: [`emulator`], an in-process Genesys-like server for tests and demos.
//! - `cli`: the `routing-eval` binary (implies `emulator`).
//! - `test-util`: [`time::ManualClock`] and [`time::FixedJitter`] for deterministic tests.
//! - `tracing-subscriber`: the log output of the `routing-eval` binary (enabled by `cli`); it
//!   adds no library API.
//!
//! # Guides
//!
//! The repository's `docs/` folder holds the long-form guides: architecture, configuration,
//! KPI definitions, choosing a scoring preset, sinks (and writing your own), the emulator,
//! running against a real organisation, differences from the tutorial the crate grew from,
//! security and performance.
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auth;
pub mod client;
pub mod config;
#[cfg(feature = "emulator")]
#[cfg_attr(docsrs, doc(cfg(feature = "emulator")))]
pub mod emulator;
pub mod error;
pub mod evaluation;
#[cfg(feature = "test-util")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod metrics;
pub mod origin;
pub mod progress;
pub mod scoring;
pub mod sink;
pub mod sources;
pub mod time;

pub use client::{Client, ClientBuilder};

/// The README's example, compiled as a doc-test so it stays true to the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use error::{Error, ErrorKind, Result, ValidationError};
pub use metrics::MetricTable;
pub use origin::DataOrigin;
