//! The client layer's side of each attempt, as smithy's orchestrator resolves identity before
//! the connector: the token from the cache (read before every attempt, since a long retry
//! wait can outlast it), its `Authorization: Bearer` header, and one renewal and replay after
//! a 401. The HTTP core only sends what it is given; the token request itself goes through the
//! same core unauthorized, so `http` names neither `auth` nor tokens.

use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;

use crate::auth::{Token, TokenCache};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{Failure, HttpCore, Meter, Request, Response};

/// Sends `request` with the cache's bearer token under the HTTP core's retry loop. A 401
/// renews the token (unless another caller already did) and replays at once, counted as a
/// retry; a second 401 in the same call fails it with an [`ErrorKind::Auth`] error naming the
/// client.
pub(super) async fn execute(
    http: &HttpCore,
    tokens: &TokenCache,
    request: &Request,
    meter: &Meter,
) -> Result<Response> {
    let renewed_after_401 = AtomicBool::new(false);
    let renewed = &renewed_after_401;
    let attempt = |_| async move {
        let token = tokens.get(http, meter).await.map_err(Failure::fatal)?;
        let failure = match http.send(request, Some(header(&token)), meter).await {
            Err(failure) if failure.is_unauthorized() => failure,
            answered => return answered,
        };
        if renewed.swap(true, Ordering::Relaxed) {
            return Err(still_unauthorized(tokens.client_id(), failure.error()));
        }
        let fresh = tokens
            .renew(&token, http, meter)
            .await
            .map_err(Failure::fatal)?;
        meter.retry();
        tracing::debug!(url = %request.url, "401: renewed the token, replaying");
        match http.send(request, Some(header(&fresh)), meter).await {
            Err(failure) if failure.is_unauthorized() => {
                Err(still_unauthorized(tokens.client_id(), failure.error()))
            }
            answered => answered,
        }
    };
    http.execute_with(request, meter, attempt).await
}

/// The `Authorization` header for `token`, marked sensitive.
fn header(token: &Token) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.secret().expose_secret()))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

/// The error after a 401 that survived the renewal: never retried, with the refused answer's
/// status, correlation id and rate-limit headers.
fn still_unauthorized(client_id: &str, refused: &Error) -> Failure {
    let mut error = Error::new(
        ErrorKind::Auth,
        format!(
            "the api refused a freshly issued token for oauth client `{client_id}`; check that the client exists in this region and has the needed roles"
        ),
    )
    .with_status(401);
    if let Some(id) = refused.correlation_id() {
        error = error.with_correlation_id(id);
    }
    if let Some(limit) = refused.rate_limit() {
        error = error.with_rate_limit(limit.clone());
    }
    Failure::fatal(error)
}
