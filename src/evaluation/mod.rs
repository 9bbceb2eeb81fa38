//! The evaluation pipeline: one call from a window to a delivered, audited, ranked report.
//!
//! ```text
//! Evaluation::builder() ... .build()?   validates everything; no network yet
//!     .run().await?                      window -> chunks -> jobs (concurrently) -> merged
//!                                        MetricTable -> KPIs -> scores -> Report
//!                                        -> report sinks -> AuditRecord -> audit sinks
//! ```
//!
//! A failing query fails the run with its typed error. A failing sink does not: the report is
//! still returned, the sink's outcome (with its dead-letter file, or the kept payload) is in
//! the audit record, and [`Outcome::sinks_failed`] says so.

mod audit;
mod budget;
mod builder;
mod comparing;
mod fallbacks;
mod fetch;
mod report;
mod window;

use chrono_tz::Tz;
use futures_util::future::join_all;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

pub use audit::{AuditRecord, RequestCount, StrategyScore, WebhookSyncStatus};
pub use budget::{DEFAULT_MAX_JOBS, Estimate, REQUESTS_PER_JOB};
pub use builder::EvaluationBuilder;
pub use fallbacks::{FallbackRow, Fallbacks};
pub use report::{NamedComparison, Report, ScoringSummary, SourceKind, StrategyReport};
pub use window::{Window, WindowSpec};

use crate::client::{Client, RequestCounter};
use crate::comparison::{self, Comparison};
use crate::error::Result;
use crate::metrics::{Kpis, MetricTable};
use crate::progress::{Progress, ProgressEvent};
use crate::scoring::{self, Cohort, Confidence, ScoringConfig};
use crate::sink::{self, Sink, SinkOutcome};

/// A validated evaluation, ready to [`run`](Evaluation::run) any number of times.
///
/// Made by [`Evaluation::builder`]; cheap to clone.
#[derive(Clone)]
pub struct Evaluation {
    client: Client,
    plan: Arc<Plan>,
    scoring: Arc<ScoringConfig>,
    report_sinks: Vec<ReportSink>,
    audit_sinks: Vec<Arc<dyn Sink<AuditRecord>>>,
    progress: Progress,
}

/// What to query, settled by the builder.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) source: SourceKind,
    pub(crate) group_by: String,
    /// Dimensions grouped by besides `group_by`, naming each bucket's cell.
    pub(crate) within: Vec<String>,
    /// Whether to run the fallback query (`[requestedRouting, usedRouting]`).
    pub(crate) fallbacks: bool,
    /// Whether to resolve ids to names after the fetch.
    pub(crate) resolve_names: bool,
    /// The comparison to run on the fetched cells, or why there is none.
    pub(crate) comparison: comparing::Settled,
    pub(crate) strategy_ids: Vec<String>,
    pub(crate) window: WindowSpec,
    pub(crate) time_zone: Tz,
    pub(crate) granularity: String,
    pub(crate) metrics: Vec<String>,
    pub(crate) max_window_days: u32,
    pub(crate) concurrency: usize,
    pub(crate) page_size: Option<u32>,
    pub(crate) max_jobs: usize,
    pub(crate) deadline: Option<Duration>,
}

pub(crate) type ReportSink = Arc<dyn Sink<Report>>;

/// What [`Evaluation::run`] produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The ranked report.
    pub report: Report,
    /// Its audit record (report sinks' outcomes included).
    pub audit: AuditRecord,
    /// What became of the audit record at each audit sink.
    pub audit_outcomes: Vec<SinkOutcome>,
}

impl Outcome {
    /// Whether any report or audit sink failed to deliver.
    pub fn sinks_failed(&self) -> bool {
        self.audit.sink_outcomes.iter().any(|o| !o.is_delivered())
            || self.audit_outcomes.iter().any(|o| !o.is_delivered())
    }
}

impl Evaluation {
    /// A builder; see [`EvaluationBuilder`] for every setting and its default.
    pub fn builder() -> EvaluationBuilder {
        EvaluationBuilder::default()
    }

    /// The scoring configuration in use.
    pub fn scoring(&self) -> &ScoringConfig {
        &self.scoring
    }

    /// The client's clock, sleeper and jitter (for a caller's own tickers and timestamps).
    pub fn time_source(&self) -> &crate::time::TimeSource {
        self.client.time_source()
    }

    /// Where the data comes from (the client's [`DataOrigin`](crate::DataOrigin)).
    pub fn data_origin(&self) -> crate::DataOrigin {
        self.client.data_origin()
    }

    /// How many jobs and requests a run starting now would make (see [`Estimate`]).
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the window, read now, ends in the
    /// future.
    pub fn estimate(&self) -> Result<Estimate> {
        let now = self.client.time_source().clock.now();
        let window = Window::resolve(self.plan.window, self.plan.time_zone, now)
            .map_err(crate::Error::invalid)?;
        Ok(budget::estimate(&self.plan, window))
    }

    /// Runs the evaluation: query, score, deliver, audit.
    ///
    /// Dropping the returned future cancels (DELETE) every job still running. Before any
    /// request the window is resolved again (it must not end in the future) and checked
    /// against the job budget ([`EvaluationBuilder::max_jobs`]); with a
    /// [`deadline`](EvaluationBuilder::deadline), queries still running when it passes are
    /// cancelled and the run fails with [`ErrorKind::Timeout`](crate::ErrorKind::Timeout).
    ///
    /// # Errors
    /// The query's typed error when a job fails, expires, is cancelled, or a request fails
    /// after retries ([`ErrorKind::Job`](crate::ErrorKind::Job),
    /// [`ErrorKind::Auth`](crate::ErrorKind::Auth), ...), or a
    /// [`ErrorKind::Scoring`](crate::ErrorKind::Scoring) error under the `reject` missing-value
    /// policy. Sink failures are not errors: see [`Outcome::sinks_failed`].
    pub async fn run(&self) -> Result<Outcome> {
        let time = self.client.time_source().clone();
        let started_at = time.clock.now();
        let started = time.clock.elapsed();
        let evaluation_id = audit::new_id("eval_", started_at);
        let span =
            tracing::info_span!("evaluation", id = %evaluation_id, source = %self.plan.source);
        async move {
            let window = Window::resolve(self.plan.window, self.plan.time_zone, started_at)
                .map_err(crate::Error::invalid)?;
            budget::check(&self.plan, window).map_err(crate::Error::invalid)?;
            let counter = RequestCounter::default();
            let client = self
                .client
                .counting(counter.clone())
                .reporting_to(self.progress.clone());
            let fetched = self.fetch_within_deadline(&client, window).await?;
            let mut report = self.report(evaluation_id, window, fetched)?;
            if self.plan.resolve_names {
                self.name(&client, &mut report).await?;
            }
            report.requests = counter_snapshot(&counter);
            let sink_outcomes = self.deliver_report(&report).await;
            let mut audit = self.audit_record(&report, sink_outcomes, started_at);
            audit.requests = counter_snapshot(&counter);
            audit.latency_seconds = (time.clock.elapsed() - started).as_secs_f64();
            let audit_outcomes = self.deliver_audit(&audit).await;
            Ok(Outcome {
                report,
                audit,
                audit_outcomes,
            })
        }
        .instrument(span)
        .await
    }

    /// Fetches, failing with a timeout when the plan's deadline passes first (dropping the
    /// fetch cancels its jobs). Delivery is not under the deadline: a finished report is
    /// always delivered or dead-lettered.
    async fn fetch_within_deadline(
        &self,
        client: &Client,
        window: Window,
    ) -> Result<fetch::Fetched> {
        let fetching = fetch::fetch(client, &self.plan, window, &self.progress);
        let Some(deadline) = self.plan.deadline else {
            return fetching.await;
        };
        let sleeper = std::sync::Arc::clone(&client.time_source().sleeper);
        tokio::select! {
            fetched = fetching => fetched,
            () = sleeper.sleep(deadline) => Err(crate::Error::new(
                crate::ErrorKind::Timeout,
                format!(
                    "the evaluation did not finish within its deadline of {}; its jobs were cancelled; allow more time or shorten the window",
                    budget::human(deadline)
                ),
            )),
        }
    }

    fn report(
        &self,
        evaluation_id: String,
        window: Window,
        fetched: fetch::Fetched,
    ) -> Result<Report> {
        let table = fetched.table;
        let mut ids: Vec<String> = table.strategies().map(|s| s.id().to_owned()).collect();
        let missing: Vec<String> = self
            .plan
            .strategy_ids
            .iter()
            .filter(|id| table.strategy(id).is_none())
            .cloned()
            .collect();
        ids.extend(missing.iter().cloned());
        let totals: Vec<_> = ids
            .iter()
            .map(|id| table.strategy(id).map(|s| s.totals()).unwrap_or_default())
            .collect();
        let kpis: Vec<Kpis> = totals.iter().map(Kpis::from_counts).collect();
        let cohort = Cohort::from_kpis(ids.iter().zip(kpis.iter()));
        let scores = scoring::score(&self.scoring, &cohort)?;
        let mut results: Vec<StrategyReport> = scores
            .iter()
            .zip(kpis.iter().zip(totals.iter()))
            .map(|(row, (kpis, counts))| {
                let result = row.to_result();
                StrategyReport {
                    has_data: table.strategy(&result.strategy_id).is_some(),
                    strategy_id: result.strategy_id,
                    name: None,
                    rank: None,
                    score: result.score,
                    percentile_rank: result.percentile_rank,
                    coverage: result.coverage,
                    normalized: result.normalized,
                    kpis: *kpis,
                    confidence: Confidence::from_counts(counts, self.scoring.min_offered),
                }
            })
            .collect();
        report::assign_ranks(&mut results);
        let (comparison, comparison_note) = self.compare(&table)?;
        Ok(Report {
            evaluation_id,
            timestamp: self.client.time_source().clock.now(),
            window,
            source: self.plan.source,
            data_origin: self.client.data_origin(),
            group_by: self.plan.group_by.clone(),
            requested_strategies: self.plan.strategy_ids.clone(),
            results,
            unattributed: Kpis::from_counts(table.unattributed()),
            data_completeness: completeness(self.plan.strategy_ids.len(), missing.len()),
            missing_strategies: missing,
            table,
            job_ids: fetched.job_ids,
            fallbacks: fetched.fallbacks,
            comparison,
            comparison_note,
            requests: RequestCount::default(),
            scoring: (*self.scoring).clone(),
            names: crate::names::Names::default(),
        })
    }

    /// Resolves the report's queue, skill and user ids to names: the strategies when the
    /// grouping dimension has names, and the values of the `within` dimensions.
    async fn name(&self, client: &Client, report: &mut Report) -> Result<()> {
        let mut request = crate::names::NameRequest::new();
        for line in &report.results {
            request.add_dimension_value(&report.group_by, &line.strategy_id);
        }
        // Which directory each `within` dimension names, looked up once; the buckets then
        // give their distinct values (a long window has hundreds of thousands of buckets and a
        // few dozen queues, so nothing is allocated per bucket).
        let directories: Vec<Option<crate::names::Directory>> = report
            .table
            .within()
            .iter()
            .map(|dimension| crate::names::Directory::for_dimension(dimension))
            .collect();
        if directories.iter().any(Option::is_some) {
            let mut values = std::collections::BTreeSet::new();
            for bucket in report.table.strategies().flat_map(|s| s.buckets()) {
                for (directory, value) in directories.iter().zip(bucket.within()) {
                    if let Some(directory) = directory.filter(|_| !value.is_empty()) {
                        values.insert((directory, value.as_str()));
                    }
                }
            }
            for (directory, value) in values {
                request.add(directory, value);
            }
        }
        if request.is_empty() {
            return Ok(());
        }
        let names = crate::names::resolve(client, &request, &self.progress).await?;
        for line in &mut report.results {
            line.name = names
                .for_dimension(&report.group_by, &line.strategy_id)
                .map(str::to_owned);
        }
        report.names = names;
        Ok(())
    }

    /// The comparison of the fetched cells, or the line that says why there is none.
    ///
    /// # Errors
    /// [`ErrorKind::Scoring`](crate::ErrorKind::Scoring) when the data cannot answer the
    /// setting: a named baseline or contender without cells (the message names the strategies
    /// present). The setting itself was checked before any request.
    fn compare(&self, table: &MetricTable) -> Result<(Option<Comparison>, Option<String>)> {
        let config = match &self.plan.comparison {
            comparing::Settled::Run(config) => config,
            comparing::Settled::Skipped(note) => return Ok((None, note.clone())),
        };
        if table.bucket_count() == 0 {
            return Ok((None, Some("no comparison: no strategy had data".into())));
        }
        // The table's buckets are the cells: read in place, not copied.
        match comparison::compare_table(config, table, self.plan.time_zone) {
            Ok(comparison) => Ok((Some(comparison), None)),
            Err(e) => Err(crate::Error::new(
                crate::ErrorKind::Scoring,
                format!("the comparison cannot run on this data: {e}"),
            )),
        }
    }

    async fn deliver_report(&self, report: &Report) -> Vec<SinkOutcome> {
        let deliveries = self.report_sinks.iter().map(|s| async move {
            let outcome = sink::deliver(s.as_ref(), report).await;
            self.progress.emit(ProgressEvent::SinkDelivered {
                sink: outcome.sink.clone(),
                ok: outcome.is_delivered(),
            });
            outcome
        });
        join_all(deliveries).await
    }

    async fn deliver_audit(&self, record: &AuditRecord) -> Vec<SinkOutcome> {
        let deliveries = self.audit_sinks.iter().map(|s| async move {
            let outcome = sink::deliver(s.as_ref(), record).await;
            self.progress.emit(ProgressEvent::SinkDelivered {
                sink: outcome.sink.clone(),
                ok: outcome.is_delivered(),
            });
            outcome
        });
        join_all(deliveries).await
    }

    fn audit_record(
        &self,
        report: &Report,
        sink_outcomes: Vec<SinkOutcome>,
        started_at: chrono::DateTime<chrono::Utc>,
    ) -> AuditRecord {
        // Webhook deliveries are the outcomes that carry a Standard Webhooks `webhook-id`,
        // whichever sink produced them.
        let webhook_outcomes: Vec<&SinkOutcome> = sink_outcomes
            .iter()
            .filter(|o| o.webhook_id.is_some())
            .collect();
        let webhook_sync_status = if webhook_outcomes.is_empty() {
            WebhookSyncStatus::Skipped
        } else if webhook_outcomes.iter().all(|o| o.is_delivered()) {
            WebhookSyncStatus::Success
        } else {
            WebhookSyncStatus::Failed
        };
        let correlation_ids = sink_outcomes
            .iter()
            .filter_map(|o| o.correlation_id.clone())
            .collect();
        AuditRecord {
            audit_id: audit::new_id("aud_", started_at),
            evaluation_id: report.evaluation_id.clone(),
            strategy_ids: self.plan.strategy_ids.clone(),
            window: report.window,
            source: report.source,
            group_by: report.group_by.clone(),
            scoring: ScoringSummary::of(&self.scoring),
            scores: report
                .ranked()
                .into_iter()
                .map(audit::StrategyScore::of)
                .collect(),
            comparison: self.plan.comparison.config().map(|config| {
                let mut settled = config.clone();
                settled.baseline = report.comparison.as_ref().map(|c| c.baseline.clone());
                settled
            }),
            data_origin: report.data_origin,
            execution_timestamp: started_at,
            latency_seconds: 0.0,
            row_count: report.results.len(),
            data_completeness: report.data_completeness,
            missing_strategies: report.missing_strategies.clone(),
            webhook_sync_status,
            sink_outcomes,
            job_ids: report.job_ids.clone(),
            query_fingerprint: self.plan.fingerprint(&report.window),
            requests: report.requests,
            correlation_ids,
        }
    }
}

impl Plan {
    fn fingerprint(&self, window: &Window) -> String {
        let interval = window.to_interval();
        let tz = self.time_zone.name();
        let head = [
            self.source.name(),
            self.group_by.as_str(),
            interval.as_str(),
            tz,
            self.granularity.as_str(),
        ];
        audit::fingerprint(
            head.into_iter()
                .chain(self.strategy_ids.iter().map(String::as_str))
                .chain(std::iter::once("|"))
                .chain(self.metrics.iter().map(String::as_str))
                // Cells change the query; a plan without them keeps its old fingerprint.
                .chain(self.within.iter().flat_map(|d| ["|within", d.as_str()])),
        )
    }
}

fn counter_snapshot(counter: &RequestCounter) -> RequestCount {
    let stats = counter.snapshot();
    RequestCount {
        calls: stats.requests,
        retries: stats.retries,
    }
}

/// Strategies with data over strategies requested; 1.0 when none were named (every observed
/// strategy was asked for).
fn completeness(requested: usize, missing: usize) -> f64 {
    if requested == 0 {
        1.0
    } else {
        (requested - missing) as f64 / requested as f64
    }
}

impl std::fmt::Debug for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluation")
            .field("client", &self.client)
            .field("plan", &self.plan)
            .field("scoring", &self.scoring)
            .field(
                "report_sinks",
                &self
                    .report_sinks
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .field(
                "audit_sinks",
                &self
                    .audit_sinks
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completeness_is_one_when_nothing_was_named() {
        assert_eq!(completeness(0, 0), 1.0);
        assert_eq!(completeness(4, 1), 0.75);
    }
}
