//! `/oauth/token` (client-credentials grant) and the bearer check of API requests.

use std::sync::Arc;

use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::json;

use super::errors::{ApiError, oauth_error};
use super::state::{State, TokenProblem};

/// `POST /oauth/token`.
pub(crate) async fn token(
    AxumState(state): AxumState<Arc<State>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // Basic authentication, as every official SDK sends it; the form fields of RFC 6749
    // section 2.3.1 as a fallback.
    let credentials = basic_credentials(&headers).or_else(|| {
        Some((
            field("client_id")?.to_owned(),
            field("client_secret")?.to_owned(),
        ))
    });
    let Some((id, secret)) = credentials else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required: send an Authorization: Basic header",
        );
    };
    if id != state.settings.client_id || secret != state.settings.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "authentication failed",
        );
    }
    let grant = field("grant_type");
    match grant {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant type is not supported by this client",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing grant_type",
            );
        }
    }
    let access_token = state.issue_token();
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.settings.token_lifetime.as_secs(),
    }))
    .into_response()
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The bearer token of a request, if it sends one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// Checks an API request's token as Genesys does: 401 when missing, expired or revoked.
pub(crate) fn require_token(state: &State, headers: &HeaderMap) -> Result<(), ApiError> {
    state
        .check_token(bearer(headers))
        .map_err(|problem| match problem {
            TokenProblem::Missing => ApiError::no_token(),
            TokenProblem::Invalid => ApiError::bad_token(),
        })
}
