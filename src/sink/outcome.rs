//! What became of one delivery: [`Delivered`] on success, [`DeliveryFailure`] attached to the
//! error on failure, and the [`SinkOutcome`] an audit record keeps.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::Sink;
use crate::{Error, Result};

/// A successful delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivered {
    /// Attempts made, the successful one included (at least 1).
    pub attempts: u32,
    /// The Standard Webhooks `webhook-id` sent, for webhook sinks.
    pub webhook_id: Option<String>,
    /// The HTTP status that accepted the item, for HTTP sinks.
    pub http_status: Option<u16>,
}

impl Delivered {
    /// A delivery that succeeded on its first attempt.
    pub fn new() -> Self {
        Delivered {
            attempts: 1,
            webhook_id: None,
            http_status: None,
        }
    }

    /// Sets the number of attempts made.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// Sets the webhook id sent.
    pub fn with_webhook_id(mut self, id: impl Into<String>) -> Self {
        self.webhook_id = Some(id.into());
        self
    }

    /// Sets the HTTP status that accepted the item.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }
}

impl Default for Delivered {
    fn default() -> Self {
        Delivered::new()
    }
}

/// Where an undelivered payload went.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeadLetter {
    /// No dead-letter directory was configured; the payload travels with the failure.
    NotConfigured,
    /// The payload was written to this file.
    Written(PathBuf),
    /// Writing the dead-letter file failed; the payload travels with the failure.
    WriteFailed {
        /// The file that could not be written.
        path: PathBuf,
        /// Why, with how to fix it.
        reason: String,
    },
}

/// The details of a delivery that failed for good, attached to the sink's
/// [`Error`](crate::Error) as its [`source`](std::error::Error::source).
///
/// Sinks that retry or keep the payload attach one with [`DeliveryFailure::attach`]; readers
/// find it with [`DeliveryFailure::of`]. [`deliver`] copies it into the [`SinkOutcome`].
#[derive(Debug)]
#[non_exhaustive]
pub struct DeliveryFailure {
    /// Attempts made before giving up.
    pub attempts: u32,
    /// The Standard Webhooks `webhook-id` sent, for webhook sinks.
    pub webhook_id: Option<String>,
    /// Where the payload went.
    pub dead_letter: DeadLetter,
    /// The exact bytes that were not delivered, unless a dead-letter file holds them.
    pub payload: Option<Bytes>,
    cause: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl DeliveryFailure {
    /// A failure after `attempts` attempts, with no dead-letter directory and no payload kept.
    pub fn new(attempts: u32) -> Self {
        DeliveryFailure {
            attempts,
            webhook_id: None,
            dead_letter: DeadLetter::NotConfigured,
            payload: None,
            cause: None,
        }
    }

    /// Sets the webhook id sent.
    pub fn with_webhook_id(mut self, id: impl Into<String>) -> Self {
        self.webhook_id = Some(id.into());
        self
    }

    /// Sets where the payload went.
    pub fn with_dead_letter(mut self, dead_letter: DeadLetter) -> Self {
        self.dead_letter = dead_letter;
        self
    }

    /// Keeps the undelivered payload.
    pub fn with_payload(mut self, payload: impl Into<Bytes>) -> Self {
        self.payload = Some(payload.into());
        self
    }

    /// Sets the underlying cause of the last attempt's failure.
    pub fn with_cause(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// Attaches this failure to `error` as its source.
    pub fn attach(self, error: Error) -> Error {
        error.with_source(self)
    }

    /// The failure attached to `error`, if a sink attached one.
    pub fn of(error: &Error) -> Option<&DeliveryFailure> {
        std::error::Error::source(error)?.downcast_ref()
    }
}

impl fmt::Display for DeliveryFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "delivery failed after {} attempt(s)", self.attempts)?;
        match &self.dead_letter {
            DeadLetter::NotConfigured => f.write_str("; payload kept in the outcome"),
            DeadLetter::Written(path) => write!(f, "; payload written to {}", path.display()),
            DeadLetter::WriteFailed { path, reason } => write!(
                f,
                "; dead-letter file {} not written ({reason}); payload kept in the outcome",
                path.display()
            ),
        }
    }
}

impl std::error::Error for DeliveryFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Whether a sink delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SinkStatus {
    /// The sink accepted the item.
    Delivered,
    /// The sink failed; see [`SinkOutcome::error`].
    Failed,
}

/// One sink's outcome for one item, as the audit record keeps it.
///
/// Serialized with every field present (`null` when not applicable) so audit consumers see a
/// stable shape; [`undelivered`](SinkOutcome::undelivered) is never serialized.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SinkOutcome {
    /// The sink's [`name`](Sink::name).
    pub sink: String,
    /// Delivered or failed.
    pub status: SinkStatus,
    /// Attempts made.
    pub attempts: u32,
    /// The last HTTP status seen, for HTTP sinks.
    #[serde(default)]
    pub http_status: Option<u16>,
    /// The Standard Webhooks `webhook-id` sent, for webhook sinks.
    #[serde(default)]
    pub webhook_id: Option<String>,
    /// The error's one-line message, when the sink failed.
    #[serde(default)]
    pub error: Option<String>,
    /// The correlation id the failure carried, if any.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// The dead-letter file holding the exact payload, when one was written.
    #[serde(default)]
    pub dead_letter: Option<PathBuf>,
    /// Why the dead-letter file could not be written, when that failed.
    #[serde(default)]
    pub dead_letter_error: Option<String>,
    /// The payload that was not delivered and is in no dead-letter file: nothing the caller
    /// produced is lost. Never serialized.
    #[serde(skip)]
    pub undelivered: Option<Bytes>,
}

impl SinkOutcome {
    /// The outcome of `result`, the return value of sink `sink`'s
    /// [`deliver`](Sink::deliver).
    ///
    /// A failure's [`DeliveryFailure`], if attached, supplies attempts, webhook id, dead-letter
    /// file and kept payload.
    pub fn from_result(sink: impl Into<String>, result: Result<Delivered>) -> Self {
        let sink = sink.into();
        match result {
            Ok(done) => SinkOutcome {
                sink,
                status: SinkStatus::Delivered,
                attempts: done.attempts,
                http_status: done.http_status,
                webhook_id: done.webhook_id,
                error: None,
                correlation_id: None,
                dead_letter: None,
                dead_letter_error: None,
                undelivered: None,
            },
            Err(error) => Self::failed(sink, &error),
        }
    }

    fn failed(sink: String, error: &Error) -> Self {
        let mut outcome = SinkOutcome {
            sink,
            status: SinkStatus::Failed,
            attempts: 1,
            http_status: error.status(),
            webhook_id: None,
            error: Some(error.to_string()),
            correlation_id: error.correlation_id().map(str::to_owned),
            dead_letter: None,
            dead_letter_error: None,
            undelivered: None,
        };
        if let Some(failure) = DeliveryFailure::of(error) {
            outcome.attempts = failure.attempts;
            outcome.webhook_id = failure.webhook_id.clone();
            outcome.undelivered = failure.payload.clone();
            match &failure.dead_letter {
                DeadLetter::NotConfigured => {}
                DeadLetter::Written(path) => outcome.dead_letter = Some(path.clone()),
                DeadLetter::WriteFailed { path, reason } => {
                    outcome.dead_letter_error =
                        Some(format!("could not write {}: {reason}", path.display()));
                }
            }
        }
        outcome
    }

    /// Whether the sink delivered.
    pub fn is_delivered(&self) -> bool {
        self.status == SinkStatus::Delivered
    }
}

/// Delivers `item` to `sink` and records the outcome; never fails.
///
/// When the sink fails without leaving the payload anywhere (no dead-letter file, no payload
/// attached), the item's JSON form is kept in [`SinkOutcome::undelivered`], so a failing custom
/// sink loses nothing either. Runs inside a `sink` tracing span; logs failures at `warn`.
pub async fn deliver<T, S>(sink: &S, item: &T) -> SinkOutcome
where
    T: Serialize + Sync + ?Sized,
    S: Sink<T> + ?Sized,
{
    let span = tracing::info_span!("sink", name = sink.name());
    let result = sink.deliver(item).instrument(span.clone()).await;
    let mut outcome = SinkOutcome::from_result(sink.name(), result);
    let _entered = span.enter();
    match &outcome.error {
        None => tracing::info!(attempts = outcome.attempts, "sink delivered"),
        Some(error) => {
            if outcome.dead_letter.is_none() && outcome.undelivered.is_none() {
                outcome.undelivered = serde_json::to_vec(item).ok().map(Bytes::from);
            }
            tracing::warn!(
                attempts = outcome.attempts,
                dead_letter = outcome.dead_letter.as_ref().map(|p| p.display().to_string()),
                %error,
                "sink failed"
            );
        }
    }
    outcome
}
