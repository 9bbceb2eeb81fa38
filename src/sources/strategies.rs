//! The strategies facade from the tutorial this crate grew from: one query per set of
//! strategy ids, run as a job (`running` / `completed` / `failed`), results paged by cursor.
//!
//! Genesys Cloud has no such endpoint; some organisations run a facade in front of analytics
//! that does. Its stated limits are checked before any request, every problem reported.

use std::fmt;

use chrono::{DateTime, Utc};
use futures_util::Stream;
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

use crate::client::Client;
use crate::config::PollPolicy;
use crate::error::{Error, ErrorKind, Result, ValidationError};
use crate::http::CallKind;
use crate::metrics::{MeanParts, MetricTable, RawCounts};
use crate::progress::{Progress, ProgressEvent};
use crate::sources::SourceRun;
use crate::sources::aggregates::format_interval;

const SUBMIT_PATH: &str = "api/v2/analytics/routing/strategies/query";
const JOBS_PATH: &str = "api/v2/analytics/jobs";
const SOURCE_NAME: &str = "strategies";
const RESULTS_PAGE: &str = "strategies results page";

/// The most metric types one query may ask for.
pub const MAX_METRIC_TYPES: usize = 10;
/// The longest window one query may cover, in days.
pub const MAX_WINDOW_DAYS: i64 = 30;
/// The group-bys the facade supports.
pub const SUPPORTED_GROUP_BYS: &[&str] = &["strategyId"];
/// The metric types [`RawCounts`] is filled from.
pub const ROUTING_METRIC_TYPES: &[&str] = &["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"];

/// The facade's query payload.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use genesys_routing_eval::sources::strategies::{StrategiesQuery, ROUTING_METRIC_TYPES};
///
/// let query = StrategiesQuery::new(
///     ["strategy-a", "strategy-b"],
///     ROUTING_METRIC_TYPES.iter().copied(),
///     Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
///     Utc.with_ymd_and_hms(2024, 5, 8, 0, 0, 0).unwrap(),
/// );
/// assert!(query.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StrategiesQuery {
    /// The strategies to report on.
    pub strategy_ids: Vec<String>,
    /// Metric ids, such as `handledCalls`.
    pub metric_types: Vec<String>,
    /// Bucketing: `byDay`.
    pub time_group: String,
    /// Bucket length: `P1D`.
    pub interval: String,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Grouping: `["strategyId"]`.
    pub group_bys: Vec<String>,
    /// Run as a job (always true here).
    #[serde(rename = "async")]
    pub run_async: bool,
}

impl StrategiesQuery {
    /// A daily query of `metric_types` for `strategy_ids` over `[from, to)`, grouped by
    /// strategy.
    pub fn new<S: Into<String>, M: Into<String>>(
        strategy_ids: impl IntoIterator<Item = S>,
        metric_types: impl IntoIterator<Item = M>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        StrategiesQuery {
            strategy_ids: strategy_ids.into_iter().map(Into::into).collect(),
            metric_types: metric_types.into_iter().map(Into::into).collect(),
            time_group: "byDay".into(),
            interval: "P1D".into(),
            from,
            to,
            group_bys: vec!["strategyId".into()],
            run_async: true,
        }
    }

    /// Replaces the group-bys.
    pub fn group_bys<G: Into<String>>(mut self, group_bys: impl IntoIterator<Item = G>) -> Self {
        self.group_bys = group_bys.into_iter().map(Into::into).collect();
        self
    }

    /// Every problem with this query against the facade's limits (empty when it is fine).
    pub fn problems(&self) -> Vec<ValidationError> {
        let mut found = Vec::new();
        if self.strategy_ids.is_empty() {
            found.push(ValidationError::NoStrategies {
                source_name: SOURCE_NAME.into(),
            });
        }
        let count = self.metric_types.len();
        if count == 0 || count > MAX_METRIC_TYPES {
            found.push(ValidationError::MetricCount {
                count,
                max: MAX_METRIC_TYPES,
                source_name: SOURCE_NAME.into(),
                hint: if count == 0 {
                    "ask for at least one, such as handledCalls".into()
                } else {
                    "split the metrics over several queries".into()
                },
            });
        }
        if self.from >= self.to {
            found.push(ValidationError::WindowOrder {
                from: self.from.to_rfc3339(),
                to: self.to.to_rfc3339(),
            });
        } else {
            let seconds = (self.to - self.from).num_seconds();
            let days = (seconds + 86_399) / 86_400;
            if days > MAX_WINDOW_DAYS {
                found.push(ValidationError::WindowTooLong {
                    days,
                    max_days: MAX_WINDOW_DAYS,
                    source_name: SOURCE_NAME.into(),
                });
            }
        }
        for value in &self.group_bys {
            if !SUPPORTED_GROUP_BYS.contains(&value.as_str()) {
                found.push(ValidationError::UnsupportedGroupBy {
                    value: value.clone(),
                    source_name: SOURCE_NAME.into(),
                    supported: SUPPORTED_GROUP_BYS.join(", "),
                });
            }
        }
        found
    }

    /// Checks the query against the facade's limits.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] holding every problem ([`Error::validation`]).
    pub fn validate(&self) -> Result<()> {
        Error::unless_problems(self.problems())
    }
}

/// A facade job's state; values this crate does not know are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StrategiesJobState {
    /// Still running; keep polling.
    Running,
    /// Done; results can be fetched.
    Completed,
    /// Failed; see `failure_reason`.
    Failed,
    /// A state this crate does not know, as the server spelled it.
    Other(String),
}

impl StrategiesJobState {
    /// The state as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            StrategiesJobState::Running => "running",
            StrategiesJobState::Completed => "completed",
            StrategiesJobState::Failed => "failed",
            StrategiesJobState::Other(s) => s,
        }
    }

    /// Whether the job is known to be running on the server. A state this crate does not
    /// know is not counted.
    pub fn is_pending(&self) -> bool {
        matches!(self, StrategiesJobState::Running)
    }
}

impl fmt::Display for StrategiesJobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StrategiesJobState {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.to_ascii_lowercase().as_str() {
            "running" => StrategiesJobState::Running,
            "completed" => StrategiesJobState::Completed,
            "failed" => StrategiesJobState::Failed,
            _ => StrategiesJobState::Other(text),
        })
    }
}

impl Serialize for StrategiesJobState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A facade job's status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StrategiesJobStatus {
    /// The job id.
    #[serde(default)]
    pub id: String,
    /// The state.
    pub status: StrategiesJobState,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// One page of facade results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StrategiesPage {
    /// Entities on this page.
    #[serde(default)]
    pub entities: Vec<Entity>,
    /// Ask again with this cursor for the next page; none on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// One strategy's metrics over one bucket.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Entity {
    /// The strategy id.
    pub entity_id: String,
    /// The bucket, `start/end`, when the facade gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The metric values.
    #[serde(default)]
    pub metrics: Vec<EntityMetric>,
}

/// One metric value of an entity.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EntityMetric {
    /// The metric id, such as `handledCalls`.
    pub metric_id: String,
    /// Its value (seconds for `avgSpeedOfAnswer`); absent or null when unknown.
    #[serde(default)]
    pub value: Option<f64>,
}

/// The raw counts of one entity: `handled` and `abandoned` from `handledCalls` and
/// `abandonedCalls`, and the speed of answer as a mean weighted by handled calls.
pub fn counts_of_entity(entity: &Entity) -> RawCounts {
    let value = |id: &str| {
        entity
            .metrics
            .iter()
            .find(|m| m.metric_id == id)
            .and_then(|m| m.value)
            .filter(|v| v.is_finite())
    };
    let whole = |v: f64| v.max(0.0).round() as u64;
    let handled = value("handledCalls").map(whole);
    RawCounts {
        handled,
        abandoned: value("abandonedCalls").map(whole),
        reported_speed_of_answer: value("avgSpeedOfAnswer")
            .map(|asa| MeanParts::of(asa, handled.unwrap_or(0) as f64)),
        ..RawCounts::default()
    }
}

/// The strategies facade, reached through [`Client::strategies`].
#[derive(Debug, Clone)]
pub struct Strategies {
    client: Client,
    /// The client's poll policy ([`ClientBuilder::poll_policy`](crate::ClientBuilder::poll_policy)).
    poll: PollPolicy,
}

impl Client {
    /// The strategies facade.
    pub fn strategies(&self) -> Strategies {
        Strategies {
            client: self.clone(),
            poll: *self.config().poll_policy(),
        }
    }
}

#[derive(Deserialize)]
struct Submitted {
    id: String,
}

impl Strategies {
    fn job_url(&self, job_id: &str, results: bool) -> Url {
        super::job_url(&self.client, JOBS_PATH, job_id, results)
    }

    /// Validates `query`, submits it and returns the job id. Any 2xx answer is accepted.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] listing every limit the query breaks (before any request), and
    /// the HTTP core's kinds.
    pub async fn submit(&self, query: &StrategiesQuery) -> Result<String> {
        query.validate()?;
        let submitted: Submitted = self
            .client
            .post_json(
                self.client.api_url(SUBMIT_PATH),
                query,
                CallKind::Submission,
                "strategies submission answer",
            )
            .await?;
        Ok(submitted.id)
    }

    /// The job's status.
    ///
    /// # Errors
    /// The HTTP core's kinds.
    pub async fn status(&self, job_id: &str) -> Result<StrategiesJobStatus> {
        self.client
            .get_json(self.job_url(job_id, false), "strategies job status")
            .await
    }

    /// Every results page of a completed job, fetched by cursor as the stream is polled.
    ///
    /// # Errors
    /// An item is an error when a page cannot be fetched or decoded; the stream ends after it.
    pub fn results(
        &self,
        job_id: &str,
    ) -> impl Stream<Item = Result<StrategiesPage>> + Send + 'static {
        super::job_pages(
            self.client.clone(),
            self.job_url(job_id, true),
            RESULTS_PAGE,
            |page: &StrategiesPage| page.cursor.clone(),
        )
    }

    /// Runs `query` to completion and returns its results as a metric table, one strategy
    /// per entity id. Pages are added as they arrive.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a query beyond the facade's limits (before any request);
    /// [`ErrorKind::Job`] with the server's `failureReason` when the job fails;
    /// [`ErrorKind::Timeout`] when the poll deadline passes; the HTTP core's kinds.
    #[tracing::instrument(name = "strategies_job", skip_all)]
    pub async fn run(&self, query: &StrategiesQuery, progress: &Progress) -> Result<SourceRun> {
        let job_id = self.submit(query).await?;
        tracing::info!(%job_id, "strategies job submitted");
        progress.emit(ProgressEvent::JobSubmitted {
            job_id: job_id.clone(),
        });
        self.await_completed(&job_id, progress).await?;
        let whole_window = format_interval(query.from, query.to);
        let mut table = MetricTable::new();
        let url = self.job_url(&job_id, true);
        super::read_pages(&self.client, &url, &job_id, progress, |response| {
            let page: StrategiesPage = response.decode(RESULTS_PAGE)?;
            for entity in &page.entities {
                let interval = entity
                    .interval
                    .clone()
                    .unwrap_or_else(|| whole_window.clone());
                table.push(&entity.entity_id, interval, counts_of_entity(entity));
            }
            Ok((page.entities.len(), page.cursor))
        })
        .await?;
        Ok(SourceRun { table, job_id })
    }

    async fn await_completed(&self, job_id: &str, progress: &Progress) -> Result<()> {
        let time = self.client.time_source().clone();
        let deadline = |deadline: std::time::Duration| {
            Error::new(
                ErrorKind::Timeout,
                format!(
                    "strategies job {job_id} did not finish within {deadline:?}; raise the poll deadline or shorten the window"
                ),
            )
        };
        super::poll_until(self.poll, time, deadline, move || async move {
            let status = self.status(job_id).await?;
            progress.emit(ProgressEvent::JobState {
                job_id: job_id.to_owned(),
                state: status.status.to_string(),
                pending: status.status.is_pending(),
            });
            match status.status {
                StrategiesJobState::Completed => Ok(Some(())),
                StrategiesJobState::Failed => {
                    let reason = status
                        .failure_reason
                        .unwrap_or_else(|| "the server gave no reason".into());
                    Err(Error::new(
                        ErrorKind::Job,
                        format!("strategies job {job_id} failed: {reason}"),
                    ))
                }
                _ => Ok(None),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn payload_matches_the_tutorials_contract() {
        let q = StrategiesQuery::new(["s1"], ["handledCalls"], day(1), day(2));
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            serde_json::json!({
                "strategyIds": ["s1"], "metricTypes": ["handledCalls"], "timeGroup": "byDay",
                "interval": "P1D", "from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z",
                "groupBys": ["strategyId"], "async": true
            })
        );
    }

    #[test]
    fn entity_speed_of_answer_is_weighted_by_handled_calls() {
        let entity: Entity = serde_json::from_value(serde_json::json!({
            "entityId": "s1", "metrics": [
                {"metricId": "handledCalls", "value": 40.0},
                {"metricId": "avgSpeedOfAnswer", "value": 12.5},
                {"metricId": "abandonedCalls", "value": 3},
                {"metricId": "somethingNew", "value": null}
            ]
        }))
        .unwrap();
        let counts = counts_of_entity(&entity);
        assert_eq!(counts.handled, Some(40));
        assert_eq!(counts.abandoned, Some(3));
        assert_eq!(
            counts.reported_speed_of_answer,
            Some(MeanParts::of(12.5, 40.0))
        );
    }
}
