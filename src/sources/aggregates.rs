//! The conversation aggregates API: asynchronous jobs (submit, poll, page through results,
//! cancel) and the synchronous query, with typed queries and results.
//!
//! [`Aggregates::run`] is what an evaluation uses: it runs a job to completion and turns its
//! results into a [`MetricTable`] grouped by one dimension, cancelling the job if its
//! deadline passes or the caller drops the future.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::Stream;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::client::Client;
use crate::config::PollPolicy;
use crate::error::{Error, ErrorKind, Result, ValidationError};
use crate::http::CallKind;
use crate::metrics::{Bucket, MetricTable, RawCounts};
use crate::progress::{Progress, ProgressEvent};
use crate::sources::{PollSchedule, SourceRun, next_cursor};

mod into_table;
mod vocabulary;

pub(crate) use into_table::PageIntoTable;
pub use vocabulary::{
    CONVERSATION_DIMENSIONS, granularity_problem, is_conversation_dimension, nearest_dimension,
};

const JOBS_PATH: &str = "api/v2/analytics/conversations/aggregates/jobs";
const QUERY_PATH: &str = "api/v2/analytics/conversations/aggregates/query";

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

/// Decodes one results page body straight into `table` exactly as [`Aggregates::run`] does,
/// placing groups as `layout` says, and returns how many groups it held; for benchmarks.
///
/// # Errors
/// [`ErrorKind::Decode`] naming the JSON path when `body` is not a results page; groups
/// before the fault may already be in `table`.
#[doc(hidden)]
pub fn decode_results_page_into(
    body: &[u8],
    table: &mut MetricTable,
    layout: &TableLayout,
) -> Result<usize> {
    let page =
        crate::http::decode_json_seed(body, PageIntoTable::new(table, layout), RESULTS_PAGE)?;
    Ok(page.groups)
}

/// What a results page is called in decode errors.
const RESULTS_PAGE: &str = "results page";

/// The raw counts one metric contributes, as documented on [`RawCounts`].
pub fn counts_of_metric(metric: &MetricValue) -> RawCounts {
    counts_of(&metric.metric, &metric.stats)
}

/// The raw counts metric `name` with `stats` contributes (an unknown metric: none).
pub(crate) fn counts_of(name: &str, s: &Stats) -> RawCounts {
    let mut counts = RawCounts::default();
    match name {
        "nOffered" => counts.offered = s.count,
        "tAnswered" => {
            counts.answered = s.count;
            counts.answer_time_ms = s.sum;
        }
        "tAbandon" => counts.abandoned = s.count,
        "tHandle" => {
            counts.handled = s.count;
            counts.handle_time_ms = s.sum;
        }
        "oServiceLevel" => {
            counts.service_level_met = s.numerator;
            counts.service_level_total = s.denominator;
        }
        "nTransferred" => counts.transferred = s.count,
        _ => {}
    }
    counts
}

/// How the groups of an aggregates result become rows of a [`MetricTable`]: which grouped
/// dimension names the strategy (the *treatment*), which others name the bucket's cell
/// (the *within* dimensions), and which metrics were requested.
///
/// Genesys leaves a metric out of a bucket that had no events for it, so a requested metric
/// missing from a bucket is 0 there; a metric that was never requested stays absent (`None`),
/// so that no KPI is computed from data nobody asked for.
///
/// # Example
/// ```
/// use genesys_routing_eval::sources::aggregates::{add_groups, AggregateGroup, TableLayout};
/// use genesys_routing_eval::metrics::MetricTable;
///
/// let layout = TableLayout::new("usedRouting")
///     .within(["queueId"])
///     .requested(["nOffered", "tAbandon"]);
/// let groups: Vec<AggregateGroup> = serde_json::from_str(r#"[
///     {"group": {"usedRouting": "Predictive", "queueId": "q1"},
///      "data": [{"interval": "i1", "metrics": [{"metric": "nOffered", "stats": {"count": 9}}]}]}
/// ]"#).unwrap();
/// let mut table = layout.empty_table();
/// add_groups(&mut table, &groups, &layout);
///
/// let bucket = &table.strategy("Predictive").unwrap().buckets[0];
/// assert_eq!(bucket.within, ["q1"]);
/// assert_eq!(bucket.counts.abandoned, Some(0), "requested, no events");
/// assert_eq!(bucket.counts.transferred, None, "never requested");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    treatment: String,
    within: Vec<String>,
    requested: RawCounts,
}

impl TableLayout {
    /// Strategies named by `treatment`, no cells, no metric assumed requested.
    pub fn new(treatment: impl Into<String>) -> Self {
        TableLayout {
            treatment: treatment.into(),
            within: Vec::new(),
            requested: RawCounts::default(),
        }
    }

    /// The layout of `query`'s results with strategies named by `treatment`: every other
    /// `groupBy` dimension names the cell, and the query's metrics are the requested ones.
    pub fn of_query(query: &AggregationQuery, treatment: &str) -> Self {
        TableLayout::new(treatment)
            .within(query.group_by.iter().filter(|d| *d != treatment))
            .requested(&query.metrics)
    }

    /// Cells named by the values of `dimensions`, in this order.
    pub fn within<I, S>(mut self, dimensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.within = dimensions.into_iter().map(Into::into).collect();
        self
    }

    /// `metrics` were requested: where a bucket leaves one out, its counts are 0.
    pub fn requested<I, S>(mut self, metrics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for metric in metrics {
            self.requested.add(&zero_counts_of(metric.as_ref()));
        }
        self
    }

    /// The dimension whose values are the strategies.
    pub fn treatment(&self) -> &str {
        &self.treatment
    }

    /// The dimensions naming a bucket's cell.
    pub fn within_dimensions(&self) -> &[String] {
        &self.within
    }

    /// An empty table with this layout's within dimensions.
    pub fn empty_table(&self) -> MetricTable {
        MetricTable::with_within(self.within.clone())
    }

    /// `counts` with every requested metric they leave out set to 0, as each bucket of a
    /// result is read.
    pub fn complete(&self, counts: RawCounts) -> RawCounts {
        let mut complete = self.requested;
        complete.add(&counts);
        complete
    }

    /// The group's strategy (`None`: the group lacks the treatment) and cell values.
    fn place(&self, mut group: BTreeMap<String, String>) -> (Option<String>, Vec<String>) {
        let strategy = group.remove(&self.treatment);
        let cell = self
            .within
            .iter()
            .map(|d| group.remove(d).unwrap_or_default())
            .collect();
        (strategy, cell)
    }
}

/// The counts `metric` contributes when it had no events: 0 in every field it fills.
fn zero_counts_of(metric: &str) -> RawCounts {
    counts_of_metric(&MetricValue {
        metric: metric.to_owned(),
        qualifier: None,
        stats: Stats {
            count: Some(0),
            sum: Some(0.0),
            numerator: Some(0.0),
            denominator: Some(0.0),
            ..Stats::default()
        },
    })
}

/// Adds every group of `groups` to `table` as `layout` says; groups lacking the treatment
/// dimension go to the table's unattributed counts.
pub fn add_groups(table: &mut MetricTable, groups: &[AggregateGroup], layout: &TableLayout) {
    for group in groups {
        let (strategy, cell) = layout.place(group.group.clone());
        for bucket in &group.data {
            let counts = layout.complete(bucket_counts(bucket));
            add_bucket(
                table,
                strategy.as_deref(),
                Bucket::new(bucket.interval.clone(), counts).in_cell(cell.clone()),
            );
        }
    }
}

/// The raw counts of one bucket: its metrics' counts merged.
fn bucket_counts(bucket: &IntervalData) -> RawCounts {
    let mut counts = RawCounts::default();
    for metric in &bucket.metrics {
        counts.add(&counts_of_metric(metric));
    }
    counts
}

/// Adds one bucket to `strategy`, or to the unattributed counts for a group lacking the
/// treatment dimension.
fn add_bucket(table: &mut MetricTable, strategy: Option<&str>, bucket: Bucket) {
    match strategy {
        Some(id) => table.push_bucket(id, bucket),
        None => table.push_unattributed(bucket.counts),
    }
}

/// The aggregates API, reached through [`Client::aggregates`].
#[derive(Debug, Clone)]
pub struct Aggregates {
    client: Client,
    poll: PollPolicy,
}

impl Client {
    /// The conversation aggregates API.
    pub fn aggregates(&self) -> Aggregates {
        Aggregates {
            client: self.clone(),
            poll: *self.config().poll_policy(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Submitted {
    job_id: String,
}

impl Aggregates {
    /// Polls jobs with `policy` instead of the client's.
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.poll = policy;
        self
    }

    /// The results page after `cursor` (the first without one).
    fn results_url(&self, job_id: &str, cursor: Option<&str>) -> Url {
        super::with_cursor(self.job_url(job_id, true), cursor)
    }

    fn job_url(&self, job_id: &str, results: bool) -> Url {
        super::job_url(&self.client, JOBS_PATH, job_id, results)
    }

    /// Submits a job and returns its id.
    ///
    /// Retried only where the server cannot have created it (429, 503, connect failure).
    ///
    /// # Errors
    /// [`ErrorKind::Client`] when the server refuses the query, and the other kinds of the
    /// HTTP core.
    pub async fn submit(&self, query: &AggregationQuery) -> Result<String> {
        let url = self.client.api_url(JOBS_PATH);
        let submitted: Submitted = self
            .client
            .post_json(url, query, CallKind::Submission, "job submission answer")
            .await?;
        Ok(submitted.job_id)
    }

    /// The job's status.
    ///
    /// # Errors
    /// [`ErrorKind::Client`] with status 404 for an unknown job, and the HTTP core's kinds.
    pub async fn status(&self, job_id: &str) -> Result<JobStatus> {
        self.client
            .get_json(self.job_url(job_id, false), "job status")
            .await
    }

    /// Every results page of a fulfilled job, fetched by cursor as the stream is polled.
    ///
    /// # Errors
    /// An item is an error when a page cannot be fetched or decoded; the stream ends after it.
    pub fn results(
        &self,
        job_id: &str,
    ) -> impl Stream<Item = Result<ResultsPage>> + Send + 'static {
        super::job_pages(
            self.client.clone(),
            self.job_url(job_id, true),
            RESULTS_PAGE,
            |page: &ResultsPage| page.cursor.clone(),
        )
    }

    /// Cancels (deletes) a job.
    ///
    /// # Errors
    /// The HTTP core's kinds.
    pub async fn cancel(&self, job_id: &str) -> Result<()> {
        self.client.delete(self.job_url(job_id, false)).await
    }

    /// Runs `query` synchronously (`aggregates/query`); its `page_size` is left out, as the
    /// endpoint refuses it.
    ///
    /// # Errors
    /// The HTTP core's kinds.
    pub async fn query(&self, query: &AggregationQuery) -> Result<QueryResponse> {
        let mut query = query.clone();
        query.page_size = None;
        self.client
            .post_json(
                self.client.api_url(QUERY_PATH),
                &query,
                CallKind::Idempotent,
                "query answer",
            )
            .await
    }

    /// Runs `query` as a job to completion and returns its results as a metric table whose
    /// strategies are the values of `dimension`; the query's other `groupBy` dimensions name
    /// each bucket's cell ([`MetricTable::within`]), and a requested metric that a bucket
    /// leaves out counts 0 there ([`TableLayout::of_query`]).
    ///
    /// Pages are added to the table as they arrive. The job is cancelled (DELETE) when the
    /// poll deadline passes, and also when this future is dropped before it finishes.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when `query` does not group by `dimension` (before any request);
    /// [`ErrorKind::Job`] with the server's `errorMessage` when the job ends FAILED, CANCELLED
    /// or EXPIRED; [`ErrorKind::Timeout`] when the poll deadline passes; the HTTP core's kinds.
    ///
    /// # Example
    /// Against the emulator (the `routing-eval-emulator` crate of this repository):
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> genesys_routing_eval::Result<()> {
    /// use chrono::{Duration, Utc};
    /// use genesys_routing_eval::Client;
    /// use genesys_routing_eval::progress::Progress;
    /// use genesys_routing_eval::sources::aggregates::{AggregationQuery, ROUTING_METRICS};
    /// use routing_eval_emulator::Emulator;
    ///
    /// let emulator = Emulator::builder().job_latency(std::time::Duration::ZERO).start().await?;
    /// let client = Client::builder()
    ///     .api_base(emulator.base_url().as_str())
    ///     .credentials(emulator.client_id(), emulator.client_secret().to_owned())
    ///     .build()?;
    /// let to = Utc::now();
    /// let query = AggregationQuery::new(to - Duration::days(7), to, ROUTING_METRICS.iter().copied())
    ///     .granularity("P1D")
    ///     .group_by("usedRouting");
    ///
    /// let run = client.aggregates().run(&query, "usedRouting", &Progress::none()).await?;
    /// for strategy in &run.table.strategies {
    ///     println!("{}: {:?} offered", strategy.strategy_id, strategy.totals().offered);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    #[tracing::instrument(name = "aggregates_job", skip_all, fields(%dimension))]
    pub async fn run(
        &self,
        query: &AggregationQuery,
        dimension: &str,
        progress: &Progress,
    ) -> Result<SourceRun> {
        if !query.group_by.iter().any(|d| d == dimension) {
            return Err(Error::invalid(ValidationError::Invalid {
                name: "group_by".into(),
                reason: format!(
                    "the query does not group by `{dimension}`, so no result could name a strategy; add .group_by(\"{dimension}\")"
                ),
            }));
        }
        let job_id = self.submit(query).await?;
        tracing::info!(%job_id, "aggregates job submitted");
        progress.emit(ProgressEvent::JobSubmitted {
            job_id: job_id.clone(),
        });
        let mut guard = CancelOnDrop {
            armed: Some((self.clone(), job_id.clone(), progress.clone())),
        };
        match self.await_fulfilled(&job_id, progress).await {
            Ok(()) => {}
            Err(JobEnd::Failed(e)) => {
                guard.disarm();
                return Err(e);
            }
            Err(JobEnd::Deadline(e)) => {
                guard.disarm();
                self.cancel_reporting(&job_id, progress).await;
                return Err(e);
            }
            Err(JobEnd::Request(e)) => return Err(e),
        }
        let layout = TableLayout::of_query(query, dimension);
        let table = self.results_into_table(&job_id, &layout, progress).await?;
        guard.disarm();
        Ok(SourceRun { table, job_id })
    }

    /// Every results page of a fulfilled job, decoded straight into a table (see
    /// [`into_table`]) rather than through [`results`](Self::results): a decoded page takes
    /// several times its JSON, and only one page's raw body is held at a time.
    async fn results_into_table(
        &self,
        job_id: &str,
        layout: &TableLayout,
        progress: &Progress,
    ) -> Result<MetricTable> {
        let mut table = layout.empty_table();
        let mut cursor: Option<String> = None;
        for page_number in 1.. {
            let url = self.results_url(job_id, cursor.as_deref());
            let response = self.client.get(url).await?;
            let page =
                response.decode_seed(PageIntoTable::new(&mut table, layout), RESULTS_PAGE)?;
            drop(response);
            let following = next_cursor(cursor.as_deref(), page.cursor)?;
            progress.emit(ProgressEvent::PageFetched {
                job_id: job_id.to_owned(),
                page: page_number,
                rows: page.groups,
            });
            match following {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(table)
    }

    async fn await_fulfilled(&self, job_id: &str, progress: &Progress) -> Result<(), JobEnd> {
        let time = self.client.time_source().clone();
        let mut schedule = PollSchedule::start(self.poll, time);
        loop {
            if !schedule.wait().await {
                return Err(JobEnd::Deadline(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "aggregates job {job_id} did not finish within {:?} and was cancelled; raise the poll deadline or shorten the window",
                        schedule.deadline()
                    ),
                )));
            }
            let status = self.status(job_id).await.map_err(JobEnd::Request)?;
            progress.emit(ProgressEvent::JobState {
                job_id: job_id.to_owned(),
                state: status.state.to_string(),
                pending: status.state.is_pending(),
            });
            if status.state == JobState::Fulfilled {
                return Ok(());
            }
            if status.state.is_failure() {
                let reason = status
                    .error_message
                    .unwrap_or_else(|| "the server gave no reason".into());
                return Err(JobEnd::Failed(Error::new(
                    ErrorKind::Job,
                    format!("aggregates job {job_id} ended {}: {reason}", status.state),
                )));
            }
        }
    }

    async fn cancel_reporting(&self, job_id: &str, progress: &Progress) {
        match self.cancel(job_id).await {
            Ok(()) => progress.emit(ProgressEvent::JobCancelled {
                job_id: job_id.to_owned(),
            }),
            Err(e) => tracing::warn!(%job_id, error = %e, "could not cancel the job"),
        }
    }
}

/// Why waiting for a job stopped.
enum JobEnd {
    /// The job ended unsuccessfully: nothing to cancel.
    Failed(Error),
    /// The poll deadline passed: cancel the job.
    Deadline(Error),
    /// A status request failed: the job may still run.
    Request(Error),
}

/// Cancels the job on drop unless disarmed, so that a caller abandoning `run` leaves no job
/// running on the server.
struct CancelOnDrop {
    armed: Option<(Aggregates, String, Progress)>,
}

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.armed = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some((aggregates, job_id, progress)) = self.armed.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                tracing::info!(%job_id, "run abandoned: cancelling the job");
                runtime.spawn(async move { aggregates.cancel_reporting(&job_id, &progress).await });
            }
            Err(_) => {
                tracing::warn!(%job_id, "run abandoned outside a runtime: job left to expire")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_queued_and_pending_jobs_are_pending() {
        let pending: Vec<bool> = [
            "QUEUED",
            "pending",
            "FULFILLED",
            "FAILED",
            "CANCELLED",
            "EXPIRED",
            "PAUSED",
        ]
        .iter()
        .map(|s| {
            serde_json::from_value::<JobState>(serde_json::json!(s))
                .unwrap()
                .is_pending()
        })
        .collect();
        assert_eq!(pending, [true, true, false, false, false, false, false]);
    }

    #[test]
    fn query_serialises_camel_case_without_unset_fields() {
        let query = AggregationQuery::new(
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 8, 0, 0, 0).unwrap(),
            ["nOffered"],
        )
        .time_zone("UTC")
        .group_by("usedRouting")
        .filter(Filter::new("and").predicate(Predicate::exists("queueId", true)))
        .page_size(50);
        let json = serde_json::to_value(&query).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "interval": "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z",
                "timeZone": "UTC",
                "groupBy": ["usedRouting"],
                "filter": {"type": "and", "predicates": [
                    {"type": "dimension", "dimension": "queueId", "operator": "exists"}
                ]},
                "metrics": ["nOffered"],
                "pageSize": 50
            })
        );
    }

    #[test]
    fn unknown_job_states_and_fields_are_tolerated() {
        let status: JobStatus =
            serde_json::from_str(r#"{"state":"ARCHIVED","newField":1,"errorMessage":null}"#)
                .unwrap();
        assert_eq!(status.state, JobState::Other("ARCHIVED".into()));
        assert!(!status.state.is_failure());
    }

    #[test]
    fn groups_become_table_rows_and_groups_without_the_dimension_are_unattributed() {
        let page: ResultsPage = serde_json::from_value(serde_json::json!({
            "results": [
                {"group": {"usedRouting": "Bullseye", "queueId": "q1"}, "data": [
                    {"interval": "i1", "metrics": [
                        {"metric": "nOffered", "stats": {"count": 10}},
                        {"metric": "tAnswered", "stats": {"count": 8, "sum": 16000.0, "max": 5000}},
                        {"metric": "tHandle", "stats": {"count": 7, "sum": 2100000.0}},
                        {"metric": "oServiceLevel", "stats": {"numerator": 6, "denominator": 8, "ratio": 0.75}},
                        {"metric": "nTransferred", "stats": {"count": 1}},
                        {"metric": "tTalk", "stats": {"count": 3}, "extra": true}
                    ]}
                ]},
                {"group": {"queueId": "q1"}, "data": [
                    {"interval": "i1", "metrics": [{"metric": "tAbandon", "stats": {"count": 4, "sum": 1.0}}]}
                ]}
            ],
            "cursor": "next"
        }))
        .unwrap();
        let mut table = MetricTable::new();
        add_groups(&mut table, &page.results, &TableLayout::new("usedRouting"));
        let bullseye = table.strategy("Bullseye").unwrap().totals();
        assert_eq!(
            bullseye,
            RawCounts {
                offered: Some(10),
                answered: Some(8),
                answer_time_ms: Some(16000.0),
                handled: Some(7),
                handle_time_ms: Some(2_100_000.0),
                service_level_met: Some(6.0),
                service_level_total: Some(8.0),
                transferred: Some(1),
                ..RawCounts::default()
            }
        );
        assert_eq!(table.unattributed.abandoned, Some(4));
        assert_eq!(table.strategies.len(), 1);
    }

    /// A page whose groups put `data` before `group`, lack the dimension, repeat a strategy
    /// and carry fields this crate does not know.
    const ODD_PAGE: &str = r#"{"extra": [1, {"a": null}], "results": [
        {"group": {"usedRouting": "Bullseye"}, "data": [
            {"interval": "i1", "metrics": [{"metric": "nOffered", "stats": {"count": 3}},
                                           {"metric": "tAnswered", "stats": {"count": 2, "sum": 40.5}}]},
            {"interval": "i2", "metrics": [{"metric": "tHandle", "stats": {"count": 1, "sum": 9.0}}]}
        ]},
        {"data": [{"interval": "i1", "metrics": [{"metric": "nOffered", "stats": {"count": 5}}]}],
         "group": {"usedRouting": "Standard"}, "new": {}},
        {"data": [{"interval": "i3", "metrics": [{"metric": "tAbandon", "stats": {"count": 4}}]}]},
        {"group": {"queueId": "q"}, "data": [{"interval": "i1", "metrics": [{"metric": "nTransferred", "stats": {"count": 1}}]}]},
        {"group": {"usedRouting": "Bullseye"}, "data": [{"interval": "i3", "metrics": []}]}
    ], "cursor": "next"}"#;

    #[test]
    fn decoding_into_the_table_matches_decoding_the_page_then_adding_its_groups() {
        let page = decode_results_page(ODD_PAGE.as_bytes()).unwrap();
        let mut expected = MetricTable::new();
        add_groups(
            &mut expected,
            &page.results,
            &TableLayout::new("usedRouting"),
        );

        let mut table = MetricTable::new();
        let summary = crate::http::decode_json_seed(
            ODD_PAGE.as_bytes(),
            PageIntoTable::new(&mut table, &TableLayout::new("usedRouting")),
            RESULTS_PAGE,
        )
        .unwrap();
        assert_eq!(table, expected);
        let ids: Vec<&str> = table
            .strategies
            .iter()
            .map(|s| s.strategy_id.as_str())
            .collect();
        assert_eq!(ids, ["Bullseye", "Standard"]);
        assert_eq!(table.strategy("Bullseye").unwrap().buckets.len(), 3);
        assert_eq!(table.unattributed.abandoned, Some(4));
        assert_eq!(table.unattributed.transferred, Some(1));
        assert_eq!(summary.groups, 5);
        assert_eq!(summary.cursor.as_deref(), Some("next"));
    }

    #[test]
    fn decoding_into_the_table_reports_the_same_error_and_path_as_the_typed_decoder() {
        let cases = [
            r#"{"results": [{"group": {}, "data": [{"interval": "i", "metrics": [{"metric": "nOffered", "stats": {"count": -1}}]}]}]}"#,
            r#"{"results": [{"group": {"usedRouting": 7}}]}"#,
            r#"{"results": [{"data": [], "data": []}]}"#,
            r#"{"results": [], "results": []}"#,
            r#"{"results": {}}"#,
            r#"{"results": [{"group": {}, "data": [{"interval": "i", "metrics": [{}]}]}]}"#,
            r#"{"cursor": 5}"#,
            r#"{"results": [{"group": {}, "data": [{"interval": "i""#,
            r#""page""#,
        ];
        for body in cases {
            let typed = decode_results_page(body.as_bytes()).unwrap_err();
            let streamed = decode_results_page_into(
                body.as_bytes(),
                &mut MetricTable::new(),
                &TableLayout::new("usedRouting"),
            )
            .unwrap_err();
            assert_eq!(streamed.kind(), ErrorKind::Decode, "{body}");
            assert_eq!(streamed.json_path(), typed.json_path(), "{body}");
            assert_eq!(streamed.to_string(), typed.to_string(), "{body}");
        }
    }
}
