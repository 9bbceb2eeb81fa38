//! The conversation aggregates jobs API and the synchronous aggregates query.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Endpoint;
use super::data;
use super::errors::{ApiError, Problem};
use super::faults::job_outcome;
use super::period::format_instant;
use super::query::{self, AggregationQuery};
use super::shape;
use super::state::{Job, JobState, State};

/// How long results stay available after submission, for `expirationDate`.
const RESULTS_KEPT: chrono::Duration = chrono::Duration::days(1);

/// Decodes a JSON request body, as a 400 when it is not JSON.
pub(crate) fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(vec![Problem {
            field: None,
            message: format!("Unable to parse the request body as JSON: {e}"),
        }])
    })
}

/// Checks and runs an aggregation query off the async threads (long windows take a while),
/// reusing the results of an identical earlier query.
async fn run_query(
    state: &State,
    body: &[u8],
    jobs: bool,
) -> Result<(AggregationQuery, Arc<Vec<Value>>), ApiError> {
    let q = query::parse(&json_body(body)?, jobs).map_err(ApiError::bad_request)?;
    // Everything that shapes the answer, so that equal keys mean equal results.
    let key = format!(
        "aggregates {:?}",
        (
            q.start,
            q.end,
            q.granularity,
            q.zone,
            &q.group_by,
            &q.filter,
            &q.metrics,
            &q.views,
            &q.selection
        )
    );
    if let Some(results) = state.cached_results(&key) {
        return Ok((q, results));
    }
    let seed = state.settings.seed;
    let q2 = q.clone();
    let results = tokio::task::spawn_blocking(move || {
        shape::finish(&q2.selection, data::aggregate(seed, &q2))
    })
    .await
    .map(Arc::new)
    .map_err(|_| ApiError::for_status(500))?;
    state.cache_results(key, Arc::clone(&results));
    Ok((q, results))
}

/// `POST .../aggregates/jobs`: 202 `{"jobId"}`.
pub(crate) async fn submit(
    AxumState(state): AxumState<Arc<State>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (q, results) = run_query(&state, &body, true).await?;
    let id = state.add_job(Job {
        facade: false,
        submitted: std::time::Instant::now(),
        submitted_at: Utc::now(),
        outcome: job_outcome(&state, Endpoint::SubmitJob),
        cancelled: false,
        results,
        page_size: q.page_size.unwrap_or(state.settings.page_size),
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "jobId": id }))).into_response())
}

/// `POST .../aggregates/query`: the results at once.
pub(crate) async fn query(
    AxumState(state): AxumState<Arc<State>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let (_, results) = run_query(&state, &body, false).await?;
    Ok(Json(json!({ "results": *results })).into_response())
}

/// `GET .../aggregates/jobs/{jobId}`.
pub(crate) async fn status(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let latency = state.settings.job_latency;
    let body = state
        .with_job(&id, false, |job| {
            let now_state = job.state(latency);
            let mut body = Map::new();
            let (name, message) = match &now_state {
                JobState::Queued => ("QUEUED", None),
                JobState::Pending => ("PENDING", None),
                JobState::Fulfilled => ("FULFILLED", None),
                JobState::Failed(m) => ("FAILED", Some(m.clone())),
                JobState::Expired => (
                    "EXPIRED",
                    Some("The job expired before it completed".to_owned()),
                ),
                JobState::Cancelled => ("CANCELLED", Some("The job was cancelled".to_owned())),
            };
            body.insert("state".into(), json!(name));
            if let Some(message) = message {
                body.insert("errorMessage".into(), json!(message));
            }
            body.insert(
                "expirationDate".into(),
                json!(format_instant(job.submitted_at + RESULTS_KEPT)),
            );
            body.insert(
                "submissionDate".into(),
                json!(format_instant(job.submitted_at)),
            );
            if let Some(done) = job.completed_at(latency) {
                body.insert("completionDate".into(), json!(format_instant(done)));
            }
            Value::Object(body)
        })
        .ok_or_else(|| ApiError::not_found(&format!("job {id}")))?;
    Ok(Json(body).into_response())
}

/// The `?cursor=` of a results request.
#[derive(Debug, Deserialize)]
pub(crate) struct CursorParam {
    cursor: Option<String>,
}

impl CursorParam {
    /// The cursor, if one was given.
    pub(crate) fn cursor(&self) -> Option<&str> {
        self.cursor.as_deref()
    }
}

pub(crate) fn encode_cursor(id: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{id}:{offset}"))
}

pub(crate) fn decode_cursor(id: &str, cursor: &str) -> Result<usize, ApiError> {
    let invalid = || {
        ApiError::bad_request(vec![Problem::field(
            "cursor",
            format!("Invalid cursor `{cursor}`: use the cursor of the previous page of this job"),
        )])
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let (owner, offset) = text.split_once(':').ok_or_else(invalid)?;
    if owner != id {
        return Err(invalid());
    }
    offset.parse().map_err(|_| invalid())
}

/// One page of a job's entries and the cursor of the next, if any.
pub(crate) fn page(
    job: &Job,
    id: &str,
    cursor: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let offset = cursor.map_or(Ok(0), |c| decode_cursor(id, c))?;
    let end = offset.saturating_add(job.page_size).min(job.results.len());
    let items = job.results.get(offset..end).unwrap_or_default().to_vec();
    let next = (end < job.results.len()).then(|| encode_cursor(id, end));
    Ok((items, next))
}

/// `GET .../aggregates/jobs/{jobId}/results`.
pub(crate) async fn results(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
    Query(params): Query<CursorParam>,
) -> Result<Response, ApiError> {
    let latency = state.settings.job_latency;
    let answer = state
        .with_job(&id, false, |job| match job.state(latency) {
            JobState::Fulfilled => page(job, &id, params.cursor()),
            other => Err(ApiError::bad_request(vec![Problem {
                field: None,
                message: format!(
                    "Results are not available: job {id} is {}; fetch results only once the job is FULFILLED",
                    state_name(&other)
                ),
            }])),
        })
        .ok_or_else(|| ApiError::not_found(&format!("job {id}")))?;
    let (items, cursor) = answer?;
    let mut body = Map::new();
    body.insert("results".into(), Value::Array(items));
    if let Some(cursor) = cursor {
        body.insert("cursor".into(), json!(cursor));
    }
    Ok(Json(Value::Object(body)).into_response())
}

fn state_name(state: &JobState) -> &'static str {
    match state {
        JobState::Queued => "QUEUED",
        JobState::Pending => "PENDING",
        JobState::Fulfilled => "FULFILLED",
        JobState::Failed(_) => "FAILED",
        JobState::Expired => "EXPIRED",
        JobState::Cancelled => "CANCELLED",
    }
}

/// `DELETE .../aggregates/jobs/{jobId}`: 204, and the job reads `CANCELLED`.
pub(crate) async fn delete(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    state
        .with_job(&id, false, |job| job.cancelled = true)
        .ok_or_else(|| ApiError::not_found(&format!("job {id}")))?;
    state.count(|s| s.deleted_jobs.push(id));
    Ok(StatusCode::NO_CONTENT.into_response())
}
