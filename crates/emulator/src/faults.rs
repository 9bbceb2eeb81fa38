//! Per-endpoint handling around every route: counters, the rate limit, scripted faults and
//! the bearer check, in the order a real gateway applies them.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State as AxumState};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::Value;

use super::auth::{bearer, require_token};
use super::errors::ApiError;
use super::state::{Budget, Outcome, State};
use super::{Endpoint, Fault};

/// How a job accepted at `endpoint` must end: a waiting `JobFailed` / `JobExpired` fault is
/// taken only by a submission that is accepted, so a refused one does not use it up.
pub(crate) fn job_outcome(state: &State, endpoint: Endpoint) -> Outcome {
    match state.take_fault(endpoint, |f| {
        matches!(f, Fault::JobFailed { .. } | Fault::JobExpired)
    }) {
        Some(Fault::JobFailed { message }) => {
            state.count(|s| s.faults_served += 1);
            Outcome::Failed(message)
        }
        Some(_) => {
            state.count(|s| s.faults_served += 1);
            Outcome::Expired
        }
        None => Outcome::Fulfilled,
    }
}

/// Largest body a `Truncated` or `Malformed` fault rewrites.
const REWRITE_LIMIT: usize = 256 * 1024 * 1024;

fn classify(method: &Method, path: &str) -> Endpoint {
    const JOBS: &str = "/api/v2/analytics/conversations/aggregates/jobs";
    match (method.as_str(), path) {
        ("POST", "/oauth/token") => Endpoint::Token,
        ("POST", JOBS) => Endpoint::SubmitJob,
        ("GET", p) if p == format!("{JOBS}/{{id}}") => Endpoint::JobStatus,
        ("DELETE", p) if p == format!("{JOBS}/{{id}}") => Endpoint::DeleteJob,
        ("GET", p) if p == format!("{JOBS}/{{id}}/results") => Endpoint::JobResults,
        ("POST", "/api/v2/analytics/conversations/aggregates/query") => Endpoint::Query,
        ("POST", "/api/v2/analytics/routing/strategies/query") => Endpoint::StrategiesSubmit,
        ("GET", "/api/v2/analytics/jobs/{id}") => Endpoint::StrategiesStatus,
        ("GET", "/api/v2/analytics/jobs/{id}/results") => Endpoint::StrategiesResults,
        _ => Endpoint::Any,
    }
}

fn count_request(state: &State, endpoint: Endpoint) {
    state.count(|s| match endpoint {
        Endpoint::Token => s.token_requests += 1,
        Endpoint::SubmitJob | Endpoint::StrategiesSubmit => s.submissions += 1,
        Endpoint::JobStatus | Endpoint::StrategiesStatus => s.status_polls += 1,
        Endpoint::JobResults | Endpoint::StrategiesResults => s.result_pages += 1,
        _ => {}
    });
}

/// Faults served before the handler runs.
fn is_pre_fault(endpoint: Endpoint, fault: &Fault) -> bool {
    match fault {
        Fault::RateLimited { .. }
        | Fault::RateLimitedUntil { .. }
        | Fault::Status(_)
        | Fault::Slow(_) => true,
        Fault::RevokeToken => endpoint != Endpoint::Token,
        Fault::JobFailed { .. } | Fault::JobExpired | Fault::Truncated | Fault::Malformed => false,
    }
}

/// Faults that rewrite a successful answer's body.
fn is_body_fault(endpoint: Endpoint, fault: &Fault) -> bool {
    matches!(fault, Fault::Truncated | Fault::Malformed) && endpoint != Endpoint::DeleteJob
}

/// Runs around every routed request.
pub(crate) async fn endpoint_layer(
    AxumState(state): AxumState<Arc<State>>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let endpoint = classify(
        request.method(),
        matched.as_ref().map_or("", MatchedPath::as_str),
    );
    count_request(&state, endpoint);
    let token = bearer(request.headers()).map(str::to_owned);
    let budget = match &token {
        Some(token) => state.spend_budget(token),
        None => state.idle_budget(),
    };
    if budget.exceeded {
        state.count(|s| s.rate_limited += 1);
        return rate_limited(budget, budget.reset_secs, false);
    }
    if let Some(fault) = state.take_fault(endpoint, |f| is_pre_fault(endpoint, f)) {
        state.count(|s| s.faults_served += 1);
        if let Some(answer) = serve_pre_fault(&state, fault, token.as_deref(), budget).await {
            return answer;
        }
    }
    if endpoint != Endpoint::Token
        && let Err(e) = require_token(&state, request.headers())
    {
        return with_budget(e.into_response(), budget);
    }
    let response = next.run(request).await;
    let response = if response.status().is_success() {
        match state.take_fault(endpoint, |f| is_body_fault(endpoint, f)) {
            Some(fault) => {
                state.count(|s| s.faults_served += 1);
                rewrite_body(response, &fault).await
            }
            None => response,
        }
    } else {
        response
    };
    with_budget(response, budget)
}

/// Serves a fault that answers instead of the handler, or waits (`Slow`) and lets it run.
async fn serve_pre_fault(
    state: &State,
    fault: Fault,
    token: Option<&str>,
    budget: Budget,
) -> Option<Response> {
    let answer = match fault {
        Fault::RateLimited { retry_after_secs } => {
            state.count(|s| s.rate_limited += 1);
            rate_limited(budget, retry_after_secs, false)
        }
        Fault::RateLimitedUntil { retry_after_secs } => {
            state.count(|s| s.rate_limited += 1);
            rate_limited(budget, retry_after_secs, true)
        }
        Fault::Status(status) => {
            if status == 429 {
                state.count(|s| s.rate_limited += 1);
            }
            with_budget(ApiError::for_status(status).into_response(), budget)
        }
        Fault::RevokeToken => {
            if let Some(token) = token {
                state.revoke_token(token);
            }
            with_budget(ApiError::bad_token().into_response(), budget)
        }
        Fault::Slow(delay) => {
            tokio::time::sleep(delay).await;
            return None;
        }
        Fault::JobFailed { .. } | Fault::JobExpired | Fault::Truncated | Fault::Malformed => {
            return None;
        }
    };
    Some(answer)
}

fn with_budget(mut response: Response, budget: Budget) -> Response {
    response.extensions_mut().insert(budget);
    response
}

/// A 429 whose headers show the budget spent and when to come back.
fn rate_limited(budget: Budget, retry_after_secs: u64, as_date: bool) -> Response {
    let mut response = ApiError::rate_limited(retry_after_secs, budget.allowed).into_response();
    let retry_after = if as_date {
        let at = Utc::now()
            + chrono::Duration::seconds(i64::try_from(retry_after_secs).unwrap_or(i64::MAX / 1000));
        at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    } else {
        retry_after_secs.to_string()
    };
    if let Ok(value) = HeaderValue::from_str(&retry_after) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    with_budget(
        response,
        Budget {
            count: budget.count.max(budget.allowed),
            reset_secs: retry_after_secs,
            ..budget
        },
    )
}

/// Applies `Truncated` or `Malformed` to a successful answer.
async fn rewrite_body(response: Response, fault: &Fault) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, REWRITE_LIMIT).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::for_status(500).into_response(),
    };
    let rewritten = match fault {
        Fault::Truncated => bytes.slice(..bytes.len() / 2),
        _ => match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) => serde_json::to_vec(&misshape(value))
                .unwrap_or_default()
                .into(),
            Err(_) => bytes::Bytes::from_static(b"42"),
        },
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(rewritten))
}

/// Valid JSON of the wrong shape: every list and string at the top level becomes a number.
fn misshape(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::Array(_) | Value::String(_) => Value::from(42),
                        other => other,
                    };
                    (k, v)
                })
                .collect(),
        ),
        _ => Value::from(42),
    }
}
