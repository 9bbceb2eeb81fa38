//! Where results go: the [`Sink`] trait, the sinks this crate provides, and the outcome an
//! audit record keeps for each delivery.
//!
//! A sink receives a reference to an item (the evaluation report, or the audit record) and
//! says whether it delivered it. The provided sinks are generic over any
//! [`Serialize`](serde::Serialize) item, so one sink type serves both:
//!
//! - [`WebhookSink`]: POSTs JSON, signed the Standard Webhooks way, with retries and a
//!   dead-letter directory.
//! - [`JsonLinesSink`]: appends one JSON record per line to a file, synced to disk.
//! - [`MemorySink`]: keeps what it receives (tests, embedding).
//! - [`TracingSink`]: logs a one-line summary through `tracing`.
//!
//! [`deliver`] runs one sink and turns its result into a [`SinkOutcome`]: a failing sink never
//! fails an evaluation, and an undelivered payload is never lost (it is in the dead-letter file
//! or in [`SinkOutcome::undelivered`]).
//!
//! Writing your own sink takes nothing but this module's public API; `docs/sinks.md` is the
//! guide.
//!
//! # Example
//! ```
//! use std::sync::Arc;
//! use genesys_routing_eval::sink::{self, MemorySink, Sink, SinkStatus};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let memory = MemorySink::<serde_json::Value>::new();
//! let sinks: Vec<Arc<dyn Sink<serde_json::Value>>> = vec![Arc::new(memory.clone())];
//! let item = serde_json::json!({"evaluation_id": "ev_1", "record_count": 3});
//! for s in &sinks {
//!     let outcome = sink::deliver(s.as_ref(), &item).await;
//!     assert_eq!(outcome.status, SinkStatus::Delivered);
//! }
//! assert_eq!(memory.items(), vec![item]);
//! # }
//! ```

mod dead_letter;
mod jsonl;
mod log;
mod memory;
mod outcome;
mod signing;
mod webhook;

use std::sync::Arc;

use async_trait::async_trait;

use crate::Result;

pub use jsonl::JsonLinesSink;
pub use log::TracingSink;
pub use memory::MemorySink;
pub use outcome::{DeadLetter, Delivered, DeliveryFailure, SinkOutcome, SinkStatus, deliver};
pub use signing::SigningSecret;
pub use webhook::{WebhookSink, WebhookSinkBuilder};

/// A destination for items of type `T`: the crate's one extension point.
///
/// Object safe: store sinks as `Arc<dyn Sink<Report>>`. Implement it for your own
/// destinations (a queue, a database, a chat channel); `docs/sinks.md` shows a complete one.
///
/// A sink reports success with [`Delivered`] and failure with an [`Error`](crate::Error) of
/// kind [`Sink`](crate::ErrorKind::Sink) (the destination refused or was unreachable) or
/// [`Io`](crate::ErrorKind::Io) (local storage failed). A sink that tried several times, wrote a
/// dead-letter file or kept the payload attaches a [`DeliveryFailure`] to its error so the
/// outcome can say so.
#[async_trait]
pub trait Sink<T: ?Sized + Sync>: Send + Sync {
    /// The sink's name, as audit records show it (such as `webhook` or `audit-log`).
    fn name(&self) -> &str;

    /// Whether delivered items stay in this process's memory (a [`MemorySink`]). Default:
    /// `false`, so that every other sink (a webhook, a file, your own) counts as leaving the
    /// process, and an evaluation refuses to give it emulator data unless
    /// [`allow_emulator_data`](crate::evaluation::EvaluationBuilder::allow_emulator_data) was
    /// set.
    fn is_in_memory(&self) -> bool {
        false
    }

    /// Delivers one item.
    ///
    /// # Errors
    /// [`ErrorKind::Sink`](crate::ErrorKind::Sink) when the destination refused the item or
    /// could not be reached, [`ErrorKind::Io`](crate::ErrorKind::Io) when local storage failed.
    async fn deliver(&self, item: &T) -> Result<Delivered>;
}

#[async_trait]
impl<T, S> Sink<T> for Arc<S>
where
    T: ?Sized + Sync,
    S: Sink<T> + ?Sized,
{
    fn name(&self) -> &str {
        (**self).name()
    }

    fn is_in_memory(&self) -> bool {
        (**self).is_in_memory()
    }

    async fn deliver(&self, item: &T) -> Result<Delivered> {
        (**self).deliver(item).await
    }
}

/// The long-form guide `docs/sinks.md`, compiled and run as a doc-test so its example stays
/// true to the public API.
#[cfg(doctest)]
#[doc = include_str!("../../docs/sinks.md")]
pub struct SinksGuide;
