//! Genesys error bodies.
//!
//! Handlers answer an [`ApiError`] without knowing the request's correlation id; the server's
//! outer layer renders the body with `contextId` equal to the `ININ-Correlation-ID` header it
//! sets, so the two can never disagree.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One problem found in a request, for the `errors` and `details` lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Problem {
    pub(crate) field: Option<String>,
    pub(crate) message: String,
}

impl Problem {
    pub(crate) fn field(field: &str, message: impl Into<String>) -> Self {
        Problem {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

/// A Genesys error answer, waiting for its correlation id.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) problems: Vec<Problem>,
    /// `messageWithParams` and `messageParams`, boxed to keep errors small.
    pub(crate) params: Option<Box<(String, Value)>>,
    /// The budget a 429 ran into, for the body's `limit`.
    pub(crate) limit: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
            params: None,
            limit: None,
        }
    }

    /// A 400 `bad.request` listing every problem; the message is the first one's.
    pub(crate) fn bad_request(problems: Vec<Problem>) -> Self {
        let message = problems.first().map_or_else(
            || {
                "The request could not be understood by the server due to malformed syntax."
                    .to_owned()
            },
            |p| p.message.clone(),
        );
        ApiError {
            problems,
            ..ApiError::new(StatusCode::BAD_REQUEST, "bad.request", message)
        }
    }

    pub(crate) fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not.found",
            format!("The requested resource was not found: {what}"),
        )
    }

    pub(crate) fn no_token() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication.required",
            "No authentication bearer token specified in authorization header.",
        )
    }

    pub(crate) fn bad_token() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad.credentials",
            "Invalid login credentials.",
        )
    }

    pub(crate) fn rate_limited(retry_after_secs: u64, allowed: u64) -> Self {
        ApiError {
            limit: Some(allowed),
            params: Some(Box::new((
                "Rate limit exceeded the maximum. Retry the request in [{retryAfter}] seconds"
                    .to_owned(),
                json!({ "retryAfter": retry_after_secs.to_string() }),
            ))),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too.many.requests",
                format!(
                    "Rate limit exceeded the maximum. Retry the request in [{retry_after_secs}] seconds"
                ),
            )
        }
    }

    /// The error Genesys gives for `status`, as a scripted fault.
    pub(crate) fn for_status(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let (code, message) = match status.as_u16() {
            400 => (
                "bad.request",
                "The request could not be understood by the server due to malformed syntax.",
            ),
            401 => ("bad.credentials", "Invalid login credentials."),
            403 => (
                "missing.permissions",
                "You are not authorized to perform the requested action.",
            ),
            404 => ("not.found", "The requested resource was not found."),
            408 => (
                "request.timeout",
                "The client did not produce a request within the server timeout limit.",
            ),
            409 => (
                "conflict",
                "The request conflicts with the current state of the resource.",
            ),
            429 => ("too.many.requests", "Rate limit exceeded the maximum."),
            502 => (
                "bad.gateway",
                "The server, while acting as a gateway or proxy, received an invalid response from the upstream server.",
            ),
            503 => (
                "service.unavailable",
                "Service Unavailable - The server is currently unavailable (because it is overloaded or down for maintenance).",
            ),
            504 => (
                "gateway.timeout",
                "The server, while acting as a gateway or proxy, did not receive a timely response from the upstream server.",
            ),
            s if s >= 500 => (
                "internal.server.error",
                "The server encountered an unexpected condition which prevented it from fulfilling the request.",
            ),
            _ => ("bad.request", "The request could not be processed."),
        };
        ApiError::new(status, code, message)
    }

    /// The body, with `contextId` set to the request's correlation id.
    pub(crate) fn body(&self, context_id: &str) -> Value {
        let (with_params, params) = match self.params.as_deref() {
            Some((text, params)) => (text.clone(), params.clone()),
            None => (self.message.clone(), json!({})),
        };
        let errors: Vec<Value> = self
            .problems
            .iter()
            .map(|p| {
                json!({
                    "message": p.message,
                    "code": self.code,
                    "status": self.status.as_u16(),
                    "messageParams": {},
                    "details": [],
                    "errors": [],
                })
            })
            .collect();
        let details: Vec<Value> = self
            .problems
            .iter()
            .map(|p| match &p.field {
                Some(field) => json!({ "errorCode": self.code, "fieldName": field }),
                None => json!({ "errorCode": self.code }),
            })
            .collect();
        let mut body = json!({
            "message": self.message,
            "code": self.code,
            "status": self.status.as_u16(),
            "messageWithParams": with_params,
            "messageParams": params,
            "contextId": context_id,
            "details": details,
            "errors": errors,
        });
        if let Some(value) = self.limit {
            body["limit"] = json!({
                "key": "token.rate.per.minute",
                "namespace": "platform.api",
                "value": value,
            });
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// An OAuth error from `/oauth/token`, in the login service's own shape.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "error": error,
            "description": description,
            "error_description": description,
        })),
    )
        .into_response()
}
