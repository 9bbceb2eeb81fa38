//! The aggregates API's wire types: the query sent (with its filter) and the job states,
//! results pages, groups, buckets and metric statistics received, and the raw counts each
//! metric contributes.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::Result;
use crate::metrics::RawCounts;

/// The metrics [`RawCounts`] is filled from, in the order the reference lists them.
pub const ROUTING_METRICS: &[&str] = &[
    "nOffered",
    "tAnswered",
    "tAbandon",
    "tHandle",
    "oServiceLevel",
    "nTransferred",
];

/// A conversation aggregation query, as the API takes it (camelCase; unset fields left out).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use genesys_routing_eval::sources::aggregates::{AggregationQuery, Filter, ROUTING_METRICS};
///
/// let query = AggregationQuery::new(
///     Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2024, 5, 8, 0, 0, 0).unwrap(),
///     ROUTING_METRICS.iter().copied(),
/// )
/// .granularity("P1D")
/// .time_zone("Europe/Dublin")
/// .group_by("usedRouting")
/// .filter(Filter::any_of("usedRouting", ["Bullseye", "Standard"]));
/// assert_eq!(query.interval, "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AggregationQuery {
    /// `start/end` in ISO-8601.
    pub interval: String,
    /// Bucket size as an ISO-8601 period (`P1D`, `PT30M`); the whole interval when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    /// IANA time zone for bucket boundaries; UTC when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Dimensions to group by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_by: Vec<String>,
    /// Which conversations count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Metric names, such as `nOffered` or `tAnswered`.
    pub metrics: Vec<String>,
    /// Split multi-valued dimensions into one group per value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flatten_multivalued_dimensions: Option<bool>,
    /// Groups per results page (jobs only; the synchronous query refuses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
}

impl AggregationQuery {
    /// A query for `metrics` over `[from, to)`.
    pub fn new<M: Into<String>>(
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        metrics: impl IntoIterator<Item = M>,
    ) -> Self {
        AggregationQuery {
            interval: format_interval(from, to),
            granularity: None,
            time_zone: None,
            group_by: Vec::new(),
            filter: None,
            metrics: metrics.into_iter().map(Into::into).collect(),
            flatten_multivalued_dimensions: None,
            page_size: None,
        }
    }

    /// Sets the bucket size (`P1D`, `PT1H`, ...).
    pub fn granularity(mut self, period: impl Into<String>) -> Self {
        self.granularity = Some(period.into());
        self
    }

    /// Sets the IANA time zone.
    pub fn time_zone(mut self, zone: impl Into<String>) -> Self {
        self.time_zone = Some(zone.into());
        self
    }

    /// Adds a dimension to group by.
    pub fn group_by(mut self, dimension: impl Into<String>) -> Self {
        self.group_by.push(dimension.into());
        self
    }

    /// Sets the filter.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Sets the page size of job results.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }
}

/// The interval `start/end` with millisecond precision in UTC, as the API documents it.
pub fn format_interval(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    format!(
        "{}/{}",
        from.to_rfc3339_opts(SecondsFormat::Millis, true),
        to.to_rfc3339_opts(SecondsFormat::Millis, true)
    )
}

/// A query filter: predicates and clauses joined by `and` or `or`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Filter {
    /// `and` or `or`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Nested groups of predicates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub clauses: Vec<Clause>,
    /// Predicates at this level.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub predicates: Vec<Predicate>,
}

impl Filter {
    /// A filter with no predicates joined by `kind` (`and` or `or`).
    pub fn new(kind: impl Into<String>) -> Self {
        Filter {
            kind: kind.into(),
            clauses: Vec::new(),
            predicates: Vec::new(),
        }
    }

    /// Conversations whose `dimension` matches any of `values`.
    pub fn any_of<V: Into<String>>(
        dimension: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        let dimension = dimension.into();
        let mut filter = Filter::new("or");
        filter.predicates = values
            .into_iter()
            .map(|v| Predicate::matches(dimension.clone(), v))
            .collect();
        filter
    }

    /// Adds a predicate.
    pub fn predicate(mut self, predicate: Predicate) -> Self {
        self.predicates.push(predicate);
        self
    }

    /// Adds a clause.
    pub fn clause(mut self, clause: Clause) -> Self {
        self.clauses.push(clause);
        self
    }
}

/// A group of predicates joined by `and` or `or`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Clause {
    /// `and` or `or`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The predicates.
    #[serde(default)]
    pub predicates: Vec<Predicate>,
}

impl Clause {
    /// A clause joining `predicates` by `kind`.
    pub fn new(kind: impl Into<String>, predicates: Vec<Predicate>) -> Self {
        Clause {
            kind: kind.into(),
            predicates,
        }
    }
}

/// One condition on a dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Predicate {
    /// `dimension` (the default when unset).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The dimension, such as `usedRouting`.
    pub dimension: String,
    /// `matches` (default), `exists` or `notExists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// The value to match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Predicate {
    /// `dimension` equals `value`.
    pub fn matches(dimension: impl Into<String>, value: impl Into<String>) -> Self {
        Predicate {
            kind: Some("dimension".into()),
            dimension: dimension.into(),
            operator: Some("matches".into()),
            value: Some(value.into()),
        }
    }

    /// `dimension` is present (`exists`) or absent (`notExists`).
    pub fn exists(dimension: impl Into<String>, present: bool) -> Self {
        Predicate {
            kind: Some("dimension".into()),
            dimension: dimension.into(),
            operator: Some(if present { "exists" } else { "notExists" }.into()),
            value: None,
        }
    }
}

/// An aggregates job's state; values this crate does not know are kept, not refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobState {
    /// Waiting to run; keep polling.
    Queued,
    /// Running; keep polling.
    Pending,
    /// Done; results can be fetched.
    Fulfilled,
    /// Failed; see the status's `error_message`.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Its results expired.
    Expired,
    /// A state added after this crate was written, as the server spelled it.
    Other(String),
}

impl JobState {
    /// The state as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            JobState::Queued => "QUEUED",
            JobState::Pending => "PENDING",
            JobState::Fulfilled => "FULFILLED",
            JobState::Failed => "FAILED",
            JobState::Cancelled => "CANCELLED",
            JobState::Expired => "EXPIRED",
            JobState::Other(s) => s,
        }
    }

    /// Whether the job is known to be waiting or running on the server (`QUEUED`,
    /// `PENDING`). A state this crate does not know is not counted.
    pub fn is_pending(&self) -> bool {
        matches!(self, JobState::Queued | JobState::Pending)
    }

    /// Whether the job ended unsuccessfully.
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            JobState::Failed | JobState::Cancelled | JobState::Expired
        )
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.to_ascii_uppercase().as_str() {
            "QUEUED" => JobState::Queued,
            "PENDING" => JobState::Pending,
            "FULFILLED" => JobState::Fulfilled,
            "FAILED" => JobState::Failed,
            "CANCELLED" => JobState::Cancelled,
            "EXPIRED" => JobState::Expired,
            _ => JobState::Other(text),
        })
    }
}

impl Serialize for JobState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// An aggregates job's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct JobStatus {
    /// The state.
    pub state: JobState,
    /// Why it failed, when it did.
    #[serde(default)]
    pub error_message: Option<String>,
    /// When its results expire.
    #[serde(default)]
    pub expiration_date: Option<DateTime<Utc>>,
    /// When it was submitted.
    #[serde(default)]
    pub submission_date: Option<DateTime<Utc>>,
    /// When it finished.
    #[serde(default)]
    pub completion_date: Option<DateTime<Utc>>,
}

/// One page of job results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ResultsPage {
    /// Groups on this page.
    #[serde(default)]
    pub results: Vec<AggregateGroup>,
    /// Ask again with this cursor for the next page; none on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The synchronous query's answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct QueryResponse {
    /// Every group.
    #[serde(default)]
    pub results: Vec<AggregateGroup>,
}

/// One group: its dimension values and its buckets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AggregateGroup {
    /// Dimension name to value, such as `usedRouting` to `Bullseye`.
    #[serde(default)]
    pub group: BTreeMap<String, String>,
    /// One entry per interval bucket.
    #[serde(default)]
    pub data: Vec<IntervalData>,
}

/// The metrics of one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IntervalData {
    /// The bucket, `start/end`.
    #[serde(default)]
    pub interval: String,
    /// Metrics with data in this bucket (a metric without events is left out).
    #[serde(default)]
    pub metrics: Vec<MetricValue>,
}

/// One metric in one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MetricValue {
    /// Its name, such as `tAnswered`.
    pub metric: String,
    /// A qualifier, for metrics that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// Its statistics.
    #[serde(default)]
    pub stats: Stats,
}

/// A metric's statistics; every field is optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Stats {
    /// Largest value.
    pub max: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Number of events.
    pub count: Option<u64>,
    /// Sum of values (milliseconds for `t*` metrics).
    pub sum: Option<f64>,
    /// `numerator / denominator` for `o*` metrics.
    pub ratio: Option<f64>,
    /// Numerator for `o*` metrics.
    pub numerator: Option<f64>,
    /// Denominator for `o*` metrics.
    pub denominator: Option<f64>,
    /// The target, for service level.
    pub target: Option<f64>,
    /// A current value, for observation metrics.
    pub current: Option<f64>,
}

/// Decodes one results page body exactly as [`Aggregates::results`] does (the HTTP core's
/// decoder, naming the JSON path on failure), for benchmarks and fuzzing of that path.
///
/// # Errors
/// [`ErrorKind::Decode`] naming the JSON path when `body` is not a results page.
#[doc(hidden)]
pub fn decode_results_page(body: &[u8]) -> Result<ResultsPage> {
    crate::http::decode_json(body, RESULTS_PAGE)
}

/// What a results page is called in decode errors.
pub(crate) const RESULTS_PAGE: &str = "results page";

/// The raw counts one metric contributes, as documented on [`RawCounts`].
pub fn counts_of_metric(metric: &MetricValue) -> RawCounts {
    counts_of(&metric.metric, &metric.stats)
}

/// The raw counts metric `name` with `stats` contributes (an unknown metric: none).
pub(crate) fn counts_of(name: &str, s: &Stats) -> RawCounts {
    let mut counts = RawCounts::default();
    add_counts_of(&mut counts, name, s);
    counts
}

/// A metric [`RawCounts`] is filled from ([`ROUTING_METRICS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RoutingMetric {
    Offered,
    Answered,
    Abandon,
    Handle,
    ServiceLevel,
    Transferred,
}

impl RoutingMetric {
    /// The metric called `name`; `None` for a metric no count is filled from.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "nOffered" => RoutingMetric::Offered,
            "tAnswered" => RoutingMetric::Answered,
            "tAbandon" => RoutingMetric::Abandon,
            "tHandle" => RoutingMetric::Handle,
            "oServiceLevel" => RoutingMetric::ServiceLevel,
            "nTransferred" => RoutingMetric::Transferred,
            _ => return None,
        })
    }
}

/// Adds what metric `name` with `stats` contributes to `counts`, as
/// `counts.add(&counts_of(name, s))` does, touching only the fields the metric fills.
pub(crate) fn add_counts_of(counts: &mut RawCounts, name: &str, s: &Stats) {
    if let Some(metric) = RoutingMetric::from_name(name) {
        add_counts_of_known(counts, metric, s);
    }
}

/// Adds what `metric` with `stats` contributes to `counts`, as [`add_counts_of`] does.
pub(crate) fn add_counts_of_known(counts: &mut RawCounts, metric: RoutingMetric, s: &Stats) {
    fn plus<T: Copy>(total: &mut Option<T>, v: Option<T>, add: fn(T, T) -> T) {
        *total = match (*total, v) {
            (Some(a), Some(b)) => Some(add(a, b)),
            (a, None) => a,
            (None, b) => b,
        };
    }
    let count = |total: &mut Option<u64>, v| plus(total, v, u64::saturating_add);
    let sum = |total: &mut Option<f64>, v| plus(total, v, |a, b| a + b);
    match metric {
        RoutingMetric::Offered => count(&mut counts.offered, s.count),
        RoutingMetric::Answered => {
            count(&mut counts.answered, s.count);
            sum(&mut counts.answer_time_ms, s.sum);
        }
        RoutingMetric::Abandon => count(&mut counts.abandoned, s.count),
        RoutingMetric::Handle => {
            count(&mut counts.handled, s.count);
            sum(&mut counts.handle_time_ms, s.sum);
        }
        RoutingMetric::ServiceLevel => {
            sum(&mut counts.service_level_met, s.numerator);
            sum(&mut counts.service_level_total, s.denominator);
        }
        RoutingMetric::Transferred => count(&mut counts.transferred, s.count),
    }
}
