//! The conversation aggregates API: asynchronous jobs (submit, poll, page through results,
//! cancel) and the synchronous query, with typed queries and results.
//!
//! [`Aggregates::run`] is what an evaluation uses: it runs a job to completion and turns its
//! results into a [`MetricTable`] grouped by one dimension, cancelling the job if its
//! deadline passes or the caller drops the future.

//!
//! The module is split by job: wire types (queries, job states, results pages),
//! table mapping ([`TableLayout`], [`add_groups`]) and, here, the API and the job's
//! lifecycle (submit, poll, page into the table, cancel). Every public item is re-exported
//! at this path.

use futures_util::Stream;
use serde::Deserialize;
use url::Url;

use crate::client::Client;
use crate::config::PollPolicy;
use crate::error::{Error, ErrorKind, Result, ValidationError};
use crate::http::CallKind;
use crate::metrics::MetricTable;
use crate::progress::{Progress, ProgressEvent};
use crate::sources::SourceRun;

mod into_table;
mod table;
mod vocabulary;
mod wire;

#[cfg(test)]
use into_table::PageIntoTable;
// The fuzzing entry points (behind `test-util`) decode pages as the source does.
#[cfg(feature = "test-util")]
pub(crate) use into_table::decode_page;
pub use table::{TableLayout, add_groups, decode_results_page_into};
pub use vocabulary::{
    CONVERSATION_DIMENSIONS, granularity_problem, is_conversation_dimension, nearest_dimension,
};
pub(crate) use wire::RESULTS_PAGE;
pub use wire::{
    AggregateGroup, AggregationQuery, Clause, Filter, IntervalData, JobState, JobStatus,
    MetricValue, Predicate, QueryResponse, ROUTING_METRICS, ResultsPage, Stats, counts_of_metric,
    decode_results_page, format_interval,
};

const JOBS_PATH: &str = "api/v2/analytics/conversations/aggregates/jobs";
const QUERY_PATH: &str = "api/v2/analytics/conversations/aggregates/query";

/// The aggregates API, reached through [`Client::aggregates`].
#[derive(Debug, Clone)]
pub struct Aggregates {
    client: Client,
    /// The client's poll policy ([`ClientBuilder::poll_policy`](crate::ClientBuilder::poll_policy)).
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
    /// for strategy in run.table.strategies() {
    ///     println!("{}: {:?} offered", strategy.id(), strategy.totals().offered);
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
        let url = self.job_url(job_id, true);
        super::read_pages(&self.client, &url, job_id, progress, |response| {
            let page = into_table::decode_page(
                &response.body,
                response.correlation_id.as_deref(),
                &mut table,
                layout,
            )?;
            Ok((page.groups, page.cursor))
        })
        .await?;
        Ok(table)
    }

    async fn await_fulfilled(&self, job_id: &str, progress: &Progress) -> Result<(), JobEnd> {
        let time = self.client.time_source().clone();
        let deadline = |deadline: std::time::Duration| {
            JobEnd::Deadline(Error::new(
                ErrorKind::Timeout,
                format!(
                    "aggregates job {job_id} did not finish within {deadline:?} and was cancelled; raise the poll deadline or shorten the window"
                ),
            ))
        };
        super::poll_until(self.poll, time, deadline, move || async move {
            let status = self.status(job_id).await.map_err(JobEnd::Request)?;
            progress.emit(ProgressEvent::JobState {
                job_id: job_id.to_owned(),
                state: status.state.to_string(),
                pending: status.state.is_pending(),
            });
            if status.state == JobState::Fulfilled {
                return Ok(Some(()));
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
            Ok(None)
        })
        .await
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
    use crate::metrics::RawCounts;
    use chrono::{TimeZone, Utc};

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
        assert_eq!(table.unattributed().abandoned, Some(4));
        assert_eq!(table.strategies().len(), 1);
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
        let decoded = |layout: &TableLayout| {
            let mut expected = MetricTable::new();
            add_groups(&mut expected, &page.results, layout);
            let mut table = MetricTable::new();
            let summary = crate::http::decode_json_seed(
                ODD_PAGE.as_bytes(),
                PageIntoTable::new(&mut table, layout),
                RESULTS_PAGE,
            )
            .unwrap();
            (table, expected, summary)
        };
        // Requested metrics the page leaves out are 0 in every bucket, the empty one too.
        let requested = TableLayout::new("usedRouting").requested(["nOffered", "tAnswered"]);
        let (table, expected, _) = decoded(&requested);
        assert_eq!(table, expected, "with requested metrics");
        let bullseye: Vec<RawCounts> = table
            .strategy("Bullseye")
            .unwrap()
            .buckets()
            .map(|b| b.counts())
            .collect();
        let (handled_only, empty) = (bullseye[1], bullseye[2]);
        assert_eq!(handled_only.offered, Some(0));
        assert_eq!(handled_only.answer_time_ms, Some(0.0));
        assert_eq!(handled_only.handled, Some(1));
        assert_eq!(handled_only.abandoned, None, "not requested");
        assert_eq!((empty.offered, empty.answered), (Some(0), Some(0)));

        let (table, expected, summary) = decoded(&TableLayout::new("usedRouting"));
        assert_eq!(table, expected);
        let ids: Vec<&str> = table.strategies().map(|s| s.id()).collect();
        assert_eq!(ids, ["Bullseye", "Standard"]);
        assert_eq!(table.strategy("Bullseye").unwrap().buckets().len(), 3);
        assert_eq!(table.unattributed().abandoned, Some(4));
        assert_eq!(table.unattributed().transferred, Some(1));
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
