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
use super::dimensions::{Dim, MODELLED_DIMENSIONS};
use super::errors::{ApiError, Problem};
use super::faults::job_outcome;
use super::period::format_instant;
use super::query::{self, AggregationQuery};
use super::state::{CACHED_PAGE_BYTES, CachedPage, Content, Job, JobState, State};

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

/// Checks a query body, and refuses to group by a dimension the data does not have (rather
/// than answer groups that silently ignore it).
fn checked_query(body: &[u8], jobs: bool) -> Result<AggregationQuery, ApiError> {
    let q = query::parse(&json_body(body)?, jobs).map_err(ApiError::bad_request)?;
    let mut problems = Vec::new();
    for d in q.group_by.iter().filter(|d| Dim::parse(d).is_none()) {
        problems.push(Problem::field(
            "groupBy",
            format!(
                "groupBy dimension `{d}` is not modelled by the emulator, so it cannot group by it; use {}",
                MODELLED_DIMENSIONS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if q.group_by.len() > data::MAX_GROUP_BY {
        problems.push(Problem::field(
            "groupBy",
            format!(
                "groupBy names {} dimensions; at most {} are allowed",
                q.group_by.len(),
                data::MAX_GROUP_BY
            ),
        ));
    }
    if problems.is_empty() {
        Ok(q)
    } else {
        Err(ApiError::bad_request(problems))
    }
}

/// What identifies a query's results (the page size and position come on top).
fn query_key(q: &AggregationQuery) -> String {
    format!(
        "{:?}",
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
    )
}

/// Generates a page (or, with `page_size` `None`, every group) off the async threads,
/// sharing it with identical requests in flight and keeping it when it is small.
async fn generate(
    state: &Arc<State>,
    q: Arc<AggregationQuery>,
    first: usize,
    page_size: Option<usize>,
) -> Result<CachedPage, ApiError> {
    let key = format!("{} {first} {page_size:?}", query_key(&q));
    let cell = state.page_cell(&key);
    let worker = Arc::clone(state);
    let made = cell
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || {
                let settings = &worker.settings;
                let mut held = 0;
                let (groups, next) = match page_size {
                    Some(size) => {
                        data::page(&settings.model, settings.seed, &q, first, size, &mut held)
                    }
                    None => (
                        data::aggregate(&settings.model, settings.seed, &q, &mut held),
                        None,
                    ),
                };
                worker.count(|s| s.peak_groups_held = s.peak_groups_held.max(held as u64));
                // Serialised at once, so the JSON tree lives only while this page is made.
                let text = serde_json::to_vec(&groups).unwrap_or_else(|_| b"[]".to_vec());
                Arc::new((bytes::Bytes::from(text), next))
            })
            .await
            .map_err(|_| ApiError::for_status(500))
        })
        .await;
    let page = match made {
        Ok(page) => Arc::clone(page),
        Err(e) => {
            state.forget_page(&key);
            return Err(e);
        }
    };
    if page.0.len() > CACHED_PAGE_BYTES {
        state.forget_page(&key);
    }
    Ok(page)
}

/// A JSON answer `{"results": <groups>, "cursor"?}` around a serialised groups array.
fn results_body(groups: &[u8], cursor: Option<&str>) -> Response {
    let mut body = Vec::with_capacity(groups.len() + 96);
    body.extend_from_slice(b"{\"results\":");
    body.extend_from_slice(groups);
    if let Some(cursor) = cursor {
        body.extend_from_slice(b",\"cursor\":");
        body.extend_from_slice(Value::from(cursor).to_string().as_bytes());
    }
    body.push(b'}');
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

/// `POST .../aggregates/jobs`: 202 `{"jobId"}`. The job keeps the query; its pages are
/// generated when asked for.
pub(crate) async fn submit(
    AxumState(state): AxumState<Arc<State>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let q = checked_query(&body, true)?;
    let page_size = q.page_size.unwrap_or(state.settings.page_size);
    let id = state.add_job(Job {
        facade: false,
        submitted: std::time::Instant::now(),
        submitted_at: Utc::now(),
        outcome: job_outcome(&state, Endpoint::SubmitJob),
        cancelled: false,
        content: Content::Aggregates(Arc::new(q)),
        page_size,
    });
    Ok((StatusCode::ACCEPTED, Json(json!({ "jobId": id }))).into_response())
}

/// `POST .../aggregates/query`: the results at once.
pub(crate) async fn query(
    AxumState(state): AxumState<Arc<State>>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let q = checked_query(&body, false)?;
    let results = generate(&state, Arc::new(q), 0, None).await?;
    Ok(results_body(&results.0, None))
}

/// `GET .../aggregates/jobs/{jobId}`.
pub(crate) async fn status(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let latency = state.settings.job_latency;
    let body = state.with_job(&id, false, |job| {
        let now_state = job.state(latency);
        let mut body = Map::new();
        let message = match &now_state {
            JobState::Queued | JobState::Pending | JobState::Fulfilled => None,
            JobState::Failed(m) => Some(m.clone()),
            JobState::Expired => Some("The job expired before it completed".to_owned()),
            JobState::Cancelled => Some("The job was cancelled".to_owned()),
        };
        body.insert("state".into(), json!(state_name(&now_state)));
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
    })?;
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

/// One page of a facade job's entities and the cursor of the next, if any.
pub(crate) fn entity_page(
    entities: &[Value],
    page_size: usize,
    id: &str,
    cursor: Option<&str>,
) -> Result<(Vec<Value>, Option<String>), ApiError> {
    let offset = cursor.map_or(Ok(0), |c| decode_cursor(id, c))?;
    let end = offset.saturating_add(page_size).min(entities.len());
    let items = entities.get(offset..end).unwrap_or_default().to_vec();
    let next = (end < entities.len()).then(|| encode_cursor(id, end));
    Ok((items, next))
}

/// `GET .../aggregates/jobs/{jobId}/results`: the page at the cursor, generated now.
pub(crate) async fn results(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
    Query(params): Query<CursorParam>,
) -> Result<Response, ApiError> {
    let answer = state.with_job_state(&id, false, |job, now| match now {
            JobState::Fulfilled => Ok((job.content.clone(), job.page_size)),
            other => Err(ApiError::bad_request(vec![Problem {
                field: None,
                message: format!(
                    "Results are not available: job {id} is {}; fetch results only once the job is FULFILLED",
                    state_name(&other)
                ),
            }])),
        })?;
    let (content, page_size) = answer?;
    let (items, cursor) = match content {
        Content::Entities(entities) => entity_page(&entities, page_size, &id, params.cursor())?,
        Content::Aggregates(q) => {
            let first = params.cursor().map_or(Ok(0), |c| decode_cursor(&id, c))?;
            let page = generate(&state, q, first, Some(page_size)).await?;
            let cursor = page.1.map(|next| encode_cursor(&id, next));
            return Ok(results_body(&page.0, cursor.as_deref()));
        }
    };
    let mut body = Map::new();
    body.insert("results".into(), Value::Array(items));
    if let Some(cursor) = cursor {
        body.insert("cursor".into(), json!(cursor));
    }
    Ok(Json(Value::Object(body)).into_response())
}

/// The job's `state` as the aggregates API names it.
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
    state.with_job(&id, false, |job| job.cancelled = true)?;
    state.count(|s| s.deleted_jobs.push(id));
    Ok(StatusCode::NO_CONTENT.into_response())
}
