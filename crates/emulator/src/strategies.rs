//! The tutorial's strategies facade: submit a query, poll the job, page through entities.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::Endpoint;
use super::aggregates::{CursorParam, entity_page, json_body};
use super::data;
use super::errors::{ApiError, Problem};
use super::faults::job_outcome;
use super::period::format_interval;
use super::scenario::generate::Model;
use super::state::{Content, Job, JobState, State};

/// Metric ids the facade serves.
pub(crate) const METRIC_TYPES: &[&str] = &["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"];
/// The facade's stated limits.
const MAX_METRIC_TYPES: usize = 10;
const MAX_DAYS: i64 = 30;

/// A checked facade query.
struct StrategiesQuery {
    strategy_ids: Vec<String>,
    metric_types: Vec<String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

fn instant(
    obj: &Map<String, Value>,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Option<DateTime<Utc>> {
    let parsed = obj
        .get(field)
        .and_then(Value::as_str)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    if parsed.is_none() {
        problems.push(Problem::field(
            field,
            format!("{field} is required as an ISO-8601 date-time, e.g. 2024-05-01T00:00:00Z"),
        ));
    }
    parsed
}

fn parse(body: &Value) -> Result<StrategiesQuery, Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![Problem {
            field: None,
            message: "The request body must be a JSON object.".into(),
        }]);
    };
    let strategy_ids = strings(obj.get("strategyIds")).unwrap_or_default();
    if strategy_ids.is_empty() {
        problems.push(Problem::field(
            "strategyIds",
            "strategyIds must list at least one strategy id",
        ));
    }
    let metric_types = strings(obj.get("metricTypes")).unwrap_or_default();
    if metric_types.is_empty() {
        problems.push(Problem::field(
            "metricTypes",
            "metricTypes must list at least one metric type",
        ));
    } else if metric_types.len() > MAX_METRIC_TYPES {
        problems.push(Problem::field(
            "metricTypes",
            format!(
                "at most {MAX_METRIC_TYPES} metric types are allowed per query, got {}",
                metric_types.len()
            ),
        ));
    }
    for m in metric_types
        .iter()
        .filter(|m| !METRIC_TYPES.contains(&m.as_str()))
    {
        problems.push(Problem::field(
            "metricTypes",
            format!("unknown metric type `{m}`; use {}", METRIC_TYPES.join(", ")),
        ));
    }
    match obj.get("timeGroup").and_then(Value::as_str) {
        None | Some("byDay") => {}
        Some(other) => problems.push(Problem::field(
            "timeGroup",
            format!("unsupported timeGroup `{other}`; use byDay"),
        )),
    }
    match obj.get("interval").and_then(Value::as_str) {
        None | Some("P1D") => {}
        Some(other) => problems.push(Problem::field(
            "interval",
            format!("unsupported interval `{other}`; use P1D"),
        )),
    }
    for g in strings(obj.get("groupBys")).unwrap_or_default() {
        if g != "strategyId" {
            problems.push(Problem::field(
                "groupBys",
                format!("unsupported groupBy `{g}`; use strategyId"),
            ));
        }
    }
    let from = instant(obj, "from", &mut problems);
    let to = instant(obj, "to", &mut problems);
    if let (Some(from), Some(to)) = (from, to) {
        if from >= to {
            problems.push(Problem::field("from", "from must be before to"));
        } else if to - from > chrono::Duration::days(MAX_DAYS) {
            problems.push(Problem::field(
                "to",
                format!("the window between from and to exceeds {MAX_DAYS} days at byDay"),
            ));
        }
    }
    match (from, to, problems.is_empty()) {
        (Some(from), Some(to), true) => Ok(StrategiesQuery {
            strategy_ids,
            metric_types,
            from,
            to,
        }),
        _ => Err(problems),
    }
}

/// One entity per strategy and day that had data, strategies in the order asked.
fn entities(model: &Model, seed: u64, q: &StrategiesQuery) -> Vec<Value> {
    let days = data::strategy_days(model, seed, q.from, q.to);
    let mut out = Vec::new();
    for id in &q.strategy_ids {
        for day in days.get(id).into_iter().flatten() {
            let metrics: Vec<Value> = q
                .metric_types
                .iter()
                .filter_map(|m| {
                    let value = match m.as_str() {
                        "handledCalls" => json!(day.handled),
                        "abandonedCalls" => json!(day.abandoned),
                        "avgSpeedOfAnswer" if day.answered > 0 => {
                            json!(day.answer_ms as f64 / day.answered as f64 / 1000.0)
                        }
                        _ => return None,
                    };
                    Some(json!({ "metricId": m, "value": value }))
                })
                .collect();
            if !metrics.is_empty() {
                out.push(json!({
                    "entityId": id,
                    "interval": format_interval(day.start, day.end),
                    "metrics": metrics,
                }));
            }
        }
    }
    out
}

/// `POST /api/v2/analytics/routing/strategies/query`: 202 `{"id"}`.
pub(crate) async fn submit(
    AxumState(state): AxumState<Arc<State>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let q = parse(&json_body(&body)?).map_err(ApiError::bad_request)?;
    let seed = state.settings.seed;
    let model = Arc::clone(&state.settings.model);
    let results = tokio::task::spawn_blocking(move || entities(&model, seed, &q))
        .await
        .map(Arc::new)
        .map_err(|_| ApiError::for_status(500))?;
    let id = state.add_job(Job {
        facade: true,
        submitted: std::time::Instant::now(),
        submitted_at: Utc::now(),
        outcome: job_outcome(&state, Endpoint::StrategiesSubmit),
        cancelled: false,
        content: Content::Entities(results),
        page_size: state.settings.page_size,
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "id": id }))).into_response())
}

/// `GET /api/v2/analytics/jobs/{id}`.
pub(crate) async fn status(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let now = state.with_job_state(&id, true, |_, now| now)?;
    let mut body = json!({ "id": id });
    let (status, reason) = match now {
        JobState::Queued | JobState::Pending => ("running", None),
        JobState::Fulfilled => ("completed", None),
        JobState::Failed(m) => ("failed", Some(m)),
        JobState::Expired => ("failed", Some("job expired".to_owned())),
        JobState::Cancelled => ("failed", Some("job cancelled".to_owned())),
    };
    body["status"] = json!(status);
    if let Some(reason) = reason {
        body["failureReason"] = json!(reason);
    }
    Ok(Json(body).into_response())
}

/// `GET /api/v2/analytics/jobs/{id}/results`.
pub(crate) async fn results(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
    Query(params): Query<CursorParam>,
) -> Result<Response, ApiError> {
    let answer = state.with_job_state(&id, true, |job, now| match now {
            JobState::Fulfilled => match &job.content {
                Content::Entities(entities) => {
                    entity_page(entities, job.page_size, &id, params.cursor())
                }
                Content::Aggregates(_) => Err(ApiError::for_status(500)),
            },
            _ => Err(ApiError::bad_request(vec![Problem {
                field: None,
                message: format!("Results are not available: job {id} has not completed; poll until its status is completed"),
            }])),
        })?;
    let (items, cursor) = answer?;
    let mut body = json!({ "entities": items });
    if let Some(cursor) = cursor {
        body["cursor"] = json!(cursor);
    }
    Ok(Json(body).into_response())
}
