//! The audit record: one JSON object per evaluation saying what was asked, what was done and
//! what became of the results.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ScoringSummary, SourceKind, StrategyReport, Window};
use crate::origin::DataOrigin;
use crate::sink::SinkOutcome;

/// Whether the report reached the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum WebhookSyncStatus {
    /// Every webhook sink delivered.
    Success,
    /// At least one webhook sink failed (its payload was dead-lettered or kept).
    Failed,
    /// No report sink delivered as a webhook (no outcome carries a `webhook-id`).
    Skipped,
}

/// HTTP calls an evaluation made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequestCount {
    /// Every HTTP request sent, retries included.
    pub calls: u64,
    /// Of those, how many were retries.
    pub retries: u64,
}

/// One strategy's result as the audit record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StrategyScore {
    /// The strategy.
    #[serde(rename = "strategyId")]
    pub strategy_id: String,
    /// Whether the source returned data for it.
    pub has_data: bool,
    /// Its rank among scored strategies, 1 = best; `None` when unscored.
    pub rank: Option<usize>,
    /// Its score; `None` when unscored.
    pub score: Option<f64>,
    /// Its percentile rank among scored strategies.
    pub percentile_rank: Option<f64>,
    /// The share of KPI weight that had data.
    pub coverage: f64,
}

impl StrategyScore {
    pub(crate) fn of(line: &StrategyReport) -> Self {
        StrategyScore {
            strategy_id: line.strategy_id.clone(),
            has_data: line.has_data,
            rank: line.rank,
            score: line.score,
            percentile_rank: line.percentile_rank,
            coverage: line.coverage,
        }
    }
}

/// One evaluation's audit record, as DESIGN.md lists it, plus what the evaluation covered
/// (window, source, grouping, scoring) and each strategy's score, so that a record alone
/// says what was decided and on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Unique per record, even for evaluations finishing in the same millisecond.
    pub audit_id: String,
    /// The evaluation's id, as in the webhook body.
    pub evaluation_id: String,
    /// The strategy ids requested (empty: every value observed).
    pub strategy_ids: Vec<String>,
    /// The evaluated window.
    pub window: Window,
    /// The source queried.
    pub source: SourceKind,
    /// The grouping dimension that defines a strategy.
    pub group_by: String,
    /// The scoring preset and weights.
    pub scoring: ScoringSummary,
    /// Every strategy's result, in the report's ranked order (unscored last).
    pub scores: Vec<StrategyScore>,
    /// The comparison's settings (treatment, within, match, baseline, contenders, KPIs,
    /// alpha, power) when one ran; its baseline is the one the run settled on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<crate::comparison::ComparisonConfig>,
    /// Where the figures came from, as the report says (`dataOrigin`: `genesys` or
    /// `emulator`). Records written before the field existed read as `genesys`.
    #[serde(rename = "dataOrigin", default)]
    pub data_origin: DataOrigin,
    /// When the evaluation started (wall clock).
    pub execution_timestamp: DateTime<Utc>,
    /// Duration of the evaluation on a monotonic clock, in seconds.
    pub latency_seconds: f64,
    /// Strategies in the report.
    pub row_count: usize,
    /// Strategies with data / strategies requested, or 1.0 when all observed were asked for.
    pub data_completeness: f64,
    /// Requested strategies the source returned no data for.
    pub missing_strategies: Vec<String>,
    /// What became of the webhook delivery: read from the report sinks' outcomes that carry a
    /// `webhook-id` (every webhook sink's outcome does).
    pub webhook_sync_status: WebhookSyncStatus,
    /// Every report sink's outcome.
    pub sink_outcomes: Vec<SinkOutcome>,
    /// The job ids the server returned, in window order.
    pub job_ids: Vec<String>,
    /// A stable hash of the query (source, dimension, strategies, window, metrics).
    pub query_fingerprint: String,
    /// HTTP calls made and retries.
    pub requests: RequestCount,
    /// Correlation ids carried by failed report-sink deliveries (the receiver's
    /// `x-request-id` / `x-correlation-id`, for a webhook).
    pub correlation_ids: Vec<String>,
}

/// A new identifier: milliseconds, a process-wide sequence number and random bits, so ids
/// made in the same millisecond (or by two processes) still differ.
pub(crate) fn new_id(prefix: &str, now: DateTime<Utc>) -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{:012x}-{:06x}-{:016x}",
        now.timestamp_millis(),
        seq & 0xff_ffff,
        fastrand::u64(..)
    )
}

/// A stable 64-bit FNV-1a fingerprint of `parts`, hex encoded.
///
/// FNV rather than `DefaultHasher` because the fingerprint is stored in audit logs and must
/// not change between Rust releases.
pub(crate) fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_made_in_the_same_millisecond_differ() {
        let now = Utc::now();
        let ids: HashSet<_> = (0..10_000).map(|_| new_id("aud_", now)).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn fingerprint_is_stable_and_separates_parts() {
        assert_eq!(fingerprint(["a", "b"]), fingerprint(["a", "b"]));
        assert_ne!(fingerprint(["ab", ""]), fingerprint(["a", "b"]));
        assert_eq!(fingerprint([] as [&str; 0]), "cbf29ce484222325");
    }
}
