//! The routes, and the outer layer that gives every answer its correlation id, rate-limit
//! headers and (for errors) the Genesys error body.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State as AxumState};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::errors::ApiError;
use super::state::{Budget, State, random_uuid};
use super::{aggregates, auth, directory, faults, strategies};

const JOBS: &str = "/api/v2/analytics/conversations/aggregates/jobs";

pub(crate) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/oauth/token", post(auth::token))
        .route(JOBS, post(aggregates::submit))
        .route(
            &format!("{JOBS}/{{id}}"),
            get(aggregates::status).delete(aggregates::delete),
        )
        .route(&format!("{JOBS}/{{id}}/results"), get(aggregates::results))
        .route(
            "/api/v2/analytics/conversations/aggregates/query",
            post(aggregates::query),
        )
        .route(
            "/api/v2/analytics/routing/strategies/query",
            post(strategies::submit),
        )
        .route("/api/v2/analytics/jobs/{id}", get(strategies::status))
        .route(
            "/api/v2/analytics/jobs/{id}/results",
            get(strategies::results),
        )
        .route("/api/v2/routing/queues", get(directory::queues))
        .route("/api/v2/routing/skills", get(directory::skills))
        .route("/api/v2/users", get(directory::users))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            faults::endpoint_layer,
        ))
        .fallback(unknown_path)
        .method_not_allowed_fallback(wrong_method)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            outer_layer,
        ))
        .with_state(state)
}

async fn unknown_path(request: Request) -> Response {
    ApiError::not_found(request.uri().path()).into_response()
}

async fn wrong_method(request: Request) -> Response {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method.not.allowed",
        format!(
            "The method {} is not allowed for {}",
            request.method(),
            request.uri().path()
        ),
    )
    .into_response()
}

/// Sets `ININ-Correlation-ID` and `inin-ratelimit-*` on every answer, and renders error
/// bodies with `contextId` equal to that header.
async fn outer_layer(
    AxumState(state): AxumState<Arc<State>>,
    request: Request,
    next: Next,
) -> Response {
    state.count(|s| s.requests += 1);
    let correlation_id = random_uuid();
    let mut response = next.run(request).await;
    if let Some(error) = response.extensions_mut().remove::<ApiError>() {
        let body = serde_json::to_vec(&error.body(&correlation_id)).unwrap_or_default();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body);
    }
    let budget = response
        .extensions()
        .get::<Budget>()
        .copied()
        .unwrap_or_else(|| state.idle_budget());
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("inin-correlation-id", correlation_id);
    set("inin-ratelimit-allowed", budget.allowed.to_string());
    set("inin-ratelimit-count", budget.count.to_string());
    set("inin-ratelimit-reset", budget.reset_secs.to_string());
    response
}
