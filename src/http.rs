//! The one place that sends requests, classifies responses and retries.
//!
//! Every call to Genesys goes through one retry loop (`HttpCore::execute_with`): each attempt
//! sends the request with the `Authorization` header its caller gives (the client layer's
//! token; this module knows no tokens), caps the response body while streaming it, turns
//! failures into [`Error`]s carrying status, Genesys `code`, correlation id and rate-limit
//! headers, and retries what may succeed later (connect errors, timeouts, 408, 429, 502, 503,
//! 504) with capped exponential backoff and full jitter, or the server's `Retry-After`. A job
//! submission is retried only where the server cannot have acted on it (429, 503, connect
//! failure).

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed};
use url::Url;

use crate::config::{Config, RetryPolicy};
use crate::error::{ConnectFailure, Error, ErrorKind, RateLimit, Result};
use crate::progress::{Progress, ProgressEvent};
use crate::retry::{
    CallClass, Exhausted, Verdict, parse_retry_after, retry_loop, status_retryable,
};
use crate::time::TimeSource;

/// Counts HTTP requests and retries; clone it to share one count.
///
/// A [`Client`](crate::Client) counts everything it sends; pass a counter to
/// [`Client::counting`](crate::Client::counting) to also count one evaluation's calls alone.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    counts: Arc<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    requests: AtomicU64,
    retries: AtomicU64,
}

impl RequestCounter {
    /// A counter at zero.
    pub fn new() -> Self {
        RequestCounter::default()
    }

    /// The counts so far.
    pub fn snapshot(&self) -> RequestStats {
        RequestStats {
            requests: self.counts.requests.load(Ordering::Relaxed),
            retries: self.counts.retries.load(Ordering::Relaxed),
        }
    }

    fn add_request(&self) {
        self.counts.requests.fetch_add(1, Ordering::Relaxed);
    }

    fn add_retry(&self) {
        self.counts.retries.fetch_add(1, Ordering::Relaxed);
    }
}

/// HTTP calls made and retries among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RequestStats {
    /// Requests sent, token requests and retries included.
    pub requests: u64,
    /// Requests that were repeats: after a retryable failure, or replayed after a 401.
    pub retries: u64,
}

/// The counters one call reports to: the client's own, and the caller's scope if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meter {
    counters: Vec<RequestCounter>,
    progress: Option<Progress>,
}

impl Meter {
    pub(crate) fn new(
        global: RequestCounter,
        scoped: Option<RequestCounter>,
        progress: Option<Progress>,
    ) -> Self {
        Meter {
            counters: std::iter::once(global).chain(scoped).collect(),
            progress,
        }
    }

    /// Tells the caller's progress observer, if any, that a retry waits.
    fn retrying(&self, event: ProgressEvent) {
        if let Some(progress) = &self.progress {
            progress.emit(event);
        }
    }

    fn request(&self) {
        self.counters.iter().for_each(RequestCounter::add_request);
    }

    pub(crate) fn retry(&self) {
        self.counters.iter().for_each(RequestCounter::add_retry);
    }
}

/// Whether the server may have acted on a request that failed: decides what is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// Safe to repeat (GET, DELETE, the token request, a synchronous query).
    Idempotent,
    /// Creates a job: repeated only after 429, 503 or a connect failure.
    Submission,
}

/// A request that can be sent again as is.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) kind: CallKind,
}

impl Request {
    pub(crate) fn new(method: Method, url: Url) -> Self {
        let kind = if method == Method::POST {
            CallKind::Submission
        } else {
            CallKind::Idempotent
        };
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            kind,
        }
    }

    pub(crate) fn json(mut self, body: &impl serde::Serialize) -> Result<Self> {
        let bytes = serde_json::to_vec(body).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("could not encode the request body: {e}"),
            )
        })?;
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    pub(crate) fn kind(mut self, kind: CallKind) -> Self {
        self.kind = kind;
        self
    }
}

/// A successful response, its body read in full (within the cap).
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub(crate) correlation_id: Option<String>,
    pub(crate) body: Bytes,
}

impl Response {
    /// Decodes the body as JSON, naming the path where decoding failed.
    pub(crate) fn decode<T: DeserializeOwned>(&self, what: &str) -> Result<T> {
        self.decode_seed(PhantomData, what)
    }

    /// Decodes the body as JSON through `seed`, which may consume it piece by piece, with the
    /// same errors as [`decode`](Self::decode).
    pub(crate) fn decode_seed<'de, S: DeserializeSeed<'de>>(
        &'de self,
        seed: S,
        what: &str,
    ) -> Result<S::Value> {
        decode_json_seed(&self.body, seed, what).map_err(|e| match &self.correlation_id {
            Some(id) => e.with_correlation_id(id.clone()),
            None => e,
        })
    }
}

/// Decodes `body` as JSON; the error names the JSON path and never panics on bad input.
pub(crate) fn decode_json<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T> {
    decode_json_seed(body, PhantomData, what)
}

/// Decodes `body` as JSON through `seed`, with the errors of [`decode_json`].
pub(crate) fn decode_json_seed<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    seed: S,
    what: &str,
) -> Result<S::Value> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let mut track = serde_path_to_error::Track::new();
    seed.deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .map_err(|e| {
            // Paths and serde's messages quote the server's keys and values.
            let path = one_line(&track.path().to_string());
            Error::new(
                ErrorKind::Decode,
                format!(
                    "could not decode the {what} at `{path}`: {}; the server sent an unexpected or incomplete body",
                    one_line(&e.to_string())
                ),
            )
            .with_json_path(path)
        })
}

/// The HTTP client with the retry policy and body cap applied.
#[derive(Debug, Clone)]
pub(crate) struct HttpCore {
    client: reqwest::Client,
    retry: RetryPolicy,
    time: TimeSource,
    max_body_bytes: usize,
}

/// A failed attempt as the retry loop sees it.
pub(crate) struct Failure {
    error: Error,
    /// The connection was never made: the server cannot have acted on the request.
    connect: bool,
    /// Never repeated (the token could not be had, or a 401 survived the renewal).
    fatal: bool,
}

impl Failure {
    /// A failure the retry loop must not repeat, whatever its status.
    pub(crate) fn fatal(error: Error) -> Self {
        Failure {
            error,
            connect: false,
            fatal: true,
        }
    }

    /// Whether the server answered 401 (the credential was refused).
    pub(crate) fn is_unauthorized(&self) -> bool {
        !self.connect && self.error.status() == Some(401)
    }

    /// The attempt's error.
    pub(crate) fn error(&self) -> &Error {
        &self.error
    }

    /// Whether a call of `class` may repeat after this failure: transport failures and
    /// timeouts for reads, a connect failure for a submission, else the status table.
    fn retryable(&self, class: CallClass) -> bool {
        let transport = match class {
            CallClass::Submission => self.connect,
            _ => matches!(self.error.kind(), ErrorKind::Transport | ErrorKind::Timeout),
        };
        transport
            || self
                .error
                .status()
                .is_some_and(|status| status_retryable(status, class))
    }
}

/// One attempt's outcome before the retry decision.
enum Attempt {
    Answered(Answer),
    Failed { error: Error, connect: bool },
}

/// A response of any status with its body read.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl HttpCore {
    pub(crate) fn new(config: &Config, time: TimeSource) -> Result<Self> {
        let timeouts = config.timeouts();
        let client = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.request)
            // A redirect could carry the bearer token to another host; Genesys never redirects.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("genesys-routing-eval/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("could not set up the http client: {e}"),
                )
                .with_source(e)
            })?;
        Ok(HttpCore {
            client,
            retry: *config.retry_policy(),
            time,
            max_body_bytes: config.max_body_bytes(),
        })
    }

    pub(crate) fn time(&self) -> &TimeSource {
        &self.time
    }

    /// Sends `request` as it is until it succeeds or retrying is given up: a call that needs
    /// no authorization (the token request).
    pub(crate) async fn execute(&self, request: &Request, meter: &Meter) -> Result<Response> {
        self.execute_with(request, meter, |_| self.send(request, None, meter))
            .await
    }

    /// Runs `attempt` (given the attempt's number, from 1) under the retry loop until it
    /// succeeds or retrying is given up. `attempt` sends `request` through
    /// [`send`](Self::send) with the header its caller chose; the loop decides from `request`'s
    /// [`CallKind`] what is repeated, waits, reports each retry to `meter` and turns the last
    /// failure into the call's error.
    #[tracing::instrument(level = "debug", name = "http", skip_all, fields(method = %request.method, url = %request.url))]
    pub(crate) async fn execute_with<A, Fut>(
        &self,
        request: &Request,
        meter: &Meter,
        attempt: A,
    ) -> Result<Response>
    where
        A: FnMut(u32) -> Fut,
        Fut: Future<Output = std::result::Result<Response, Failure>>,
    {
        let class = match request.kind {
            CallKind::Idempotent => CallClass::Idempotent,
            CallKind::Submission => CallClass::Submission,
        };
        let classify = |failure: &Failure| Verdict {
            retryable: !failure.fatal && failure.retryable(class),
            retry_after: failure.error.retry_after(),
        };
        let on_retry = |attempt: u32, wait: Duration, failure: &Failure| {
            let error = &failure.error;
            // WARN: an operator watching a slow run must see why it waits, and how long.
            tracing::warn!(
                method = %request.method,
                url = %request.url,
                attempt,
                wait = ?wait,
                reason = %error,
                "retrying after {:.1}s",
                wait.as_secs_f64()
            );
            meter.retrying(ProgressEvent::Retrying {
                request: format!("{} {}", request.method, request.url.path()),
                attempt,
                wait,
                reason: retry_reason(error),
            });
            meter.retry();
        };
        match retry_loop(&self.retry, &self.time, attempt, classify, on_retry).await {
            Ok(response) => Ok(response),
            Err(Exhausted { error: failure, .. }) if failure.fatal => Err(failure.error),
            Err(Exhausted { error: failure, .. })
                if request.kind == CallKind::Submission && !failure.connect =>
            {
                // The server may have created the job: repeating it could run it twice.
                let retryable = failure
                    .error
                    .status()
                    .is_some_and(|status| status_retryable(status, CallClass::Submission));
                Err(failure.error.with_retryable(retryable))
            }
            Err(Exhausted { error: failure, .. }) => Err(failure.error),
        }
    }

    /// Sends `request` once, with `authorization` as its `Authorization` header when given,
    /// and reads the answer: a 2xx is the response, anything else a classified [`Failure`].
    /// Counts the request in `meter`.
    pub(crate) async fn send(
        &self,
        request: &Request,
        authorization: Option<HeaderValue>,
        meter: &Meter,
    ) -> std::result::Result<Response, Failure> {
        meter.request();
        match self.send_once(request, authorization).await {
            Attempt::Answered(answer) if (200..300).contains(&answer.status) => Ok(Response {
                correlation_id: correlation_id(&answer.headers),
                body: answer.body,
            }),
            Attempt::Answered(answer) => Err(Failure {
                error: self.classify(&answer),
                connect: false,
                fatal: false,
            }),
            Attempt::Failed { error, connect } => Err(Failure {
                error,
                connect,
                fatal: false,
            }),
        }
    }

    async fn send_once(&self, request: &Request, authorization: Option<HeaderValue>) -> Attempt {
        let mut builder = self
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(request.headers.clone());
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let response = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                let connect = e.is_connect();
                return Attempt::Failed {
                    error: transport_error(&request.url, e),
                    connect,
                };
            }
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        match read_capped(response, self.max_body_bytes).await {
            Ok(body) => Attempt::Answered(Answer {
                status,
                headers,
                body,
            }),
            Err(error) => Attempt::Failed {
                error: with_response_context(error, status, &headers),
                connect: false,
            },
        }
    }

    fn classify(&self, answer: &Answer) -> Error {
        classify_answer(
            answer.status,
            &answer.headers,
            &answer.body,
            self.time.clock.now(),
        )
    }
}

/// The error a non-2xx answer means: kind from the status, message and `code` from the
/// Genesys (or OAuth) error body read leniently, correlation id, rate-limit headers and
/// `Retry-After` relative to `now`. Never fails: an unreadable body leaves only the status.
pub(crate) fn classify_answer(
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
) -> Error {
    let body: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    // The server writes these; they end up in one-line messages and logs.
    let body = ErrorBody {
        message: body.message.as_deref().map(one_line),
        code: body.code.as_deref().map(one_line),
        context_id: body.context_id.as_deref().map(one_line),
        error: body.error.as_deref().map(one_line),
        error_description: body.error_description.as_deref().map(one_line),
        description: body.description.as_deref().map(one_line),
    };
    let kind = match status {
        401 => ErrorKind::Auth,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Client,
    };
    let message = body
        .message
        .clone()
        .or_else(|| body.error_description.clone())
        .or_else(|| body.description.clone())
        .map(|m| format!("{m}{}", status_hint(status)))
        .unwrap_or_else(|| format!("http {status}{}", status_hint(status)));
    let mut error = with_response_context(Error::new(kind, message), status, headers);
    if let Some(code) = body.code.or(body.error) {
        error = error.with_code(code);
    }
    if error.correlation_id().is_none()
        && let Some(id) = body.context_id
    {
        error = error.with_correlation_id(id);
    }
    let retry_after = headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    if let Some(wait) = retry_after {
        error = error.with_retry_after(wait);
    }
    error
}

/// Longest server-sent text an error quotes, in characters.
const QUOTED_CHARS: usize = 500;

/// `text` on one line (control characters become spaces) and at most [`QUOTED_CHARS`] long,
/// so a server cannot forge log lines or flood messages through an error body.
fn one_line(text: &str) -> String {
    let mut line: String = text
        .chars()
        .take(QUOTED_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().nth(QUOTED_CHARS).is_some() {
        line.push('…');
    }
    line
}

fn status_hint(status: u16) -> &'static str {
    match status {
        403 => {
            "; the oauth client lacks a permission (aggregates need analytics:conversationAggregate:view)"
        }
        404 => "; the job or endpoint does not exist (jobs expire; submit again)",
        429 => "; the rate limit was reached and retrying was given up; try again later",
        500..=599 => "; the server failed; try again later",
        _ => "",
    }
}

fn with_response_context(mut error: Error, status: u16, headers: &HeaderMap) -> Error {
    error = error.with_status(status);
    if let Some(id) = correlation_id(headers) {
        error = error.with_correlation_id(id);
    }
    if let Some(limit) = rate_limit(headers) {
        error = error.with_rate_limit(limit);
    }
    error
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn correlation_id(headers: &HeaderMap) -> Option<String> {
    header_str(headers, "inin-correlation-id").map(str::to_owned)
}

fn rate_limit(headers: &HeaderMap) -> Option<RateLimit> {
    let number = |name| header_str(headers, name).and_then(|v| v.trim().parse::<u64>().ok());
    let limit = RateLimit {
        allowed: number("inin-ratelimit-allowed"),
        count: number("inin-ratelimit-count"),
        reset_seconds: number("inin-ratelimit-reset"),
    };
    (limit != RateLimit::default()).then_some(limit)
}

/// A short cause for a retry: the status (and whether the server asked for the wait), or
/// the transport failure.
fn retry_reason(error: &Error) -> String {
    match (error.status(), error.retry_after()) {
        (Some(status), Some(_)) => format!("http {status}, retry-after from the server"),
        (Some(status), None) => format!("http {status}"),
        (None, _) => error.kind().to_string(),
    }
}

fn transport_error(url: &Url, e: reqwest::Error) -> Error {
    let host = url.host_str().unwrap_or_default().to_owned();
    let (kind, message) = if e.is_timeout() {
        (
            ErrorKind::Timeout,
            format!("request to {host} timed out; raise the request timeout or try again later"),
        )
    } else if e.is_connect() {
        let failure = connect_failure(&e);
        let message = match failure {
            Some(ConnectFailure::Dns) => format!(
                "cannot resolve host name {host} (DNS failure); check its spelling, the region and the network's DNS"
            ),
            Some(ConnectFailure::Refused) => format!(
                "connection to {host} refused; nothing listens on that port: check the host and port, or whether the service is up"
            ),
            Some(ConnectFailure::Tls) => format!(
                "tls handshake with {host} failed; check that the url is https to a tls server and that its certificate is valid for that name"
            ),
            None => format!("could not connect to {host}; check the host and the network"),
        };
        let error = Error::new(ErrorKind::Transport, message);
        let error = match failure {
            Some(failure) => error.with_connect_failure(failure),
            None => error,
        };
        return error.with_source(e.without_url());
    } else {
        (
            ErrorKind::Transport,
            format!("request to {host} failed in transit; try again"),
        )
    };
    Error::new(kind, message).with_source(e.without_url())
}

/// Why a connect error happened, read off its cause chain: reqwest exposes no kinds for it,
/// so the resolver's and the TLS stack's errors are recognised by type and by the words
/// hyper-util and rustls put in them.
pub(crate) fn connect_failure(error: &(dyn std::error::Error + 'static)) -> Option<ConnectFailure> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut found = None;
    while let Some(e) = cause {
        let text = e.to_string().to_ascii_lowercase();
        if e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        {
            return Some(ConnectFailure::Refused);
        }
        if text.starts_with("dns error") || text.contains("failed to lookup address") {
            found = found.or(Some(ConnectFailure::Dns));
        }
        if TLS_WORDS.iter().any(|w| text.contains(w)) {
            found = found.or(Some(ConnectFailure::Tls));
        }
        cause = e.source();
    }
    found
}

/// Words of rustls's handshake errors (`invalid peer certificate: UnknownIssuer`, `received
/// corrupt message of type InvalidContentType`, `peer sent no certificates`, ...).
const TLS_WORDS: &[&str] = &[
    "certificate",
    "handshake",
    "corrupt message",
    "tls",
    "alert",
    "peer is incompatible",
    "peer misbehaved",
];

/// Reads the body, refusing to hold more than `cap` bytes.
async fn read_capped(mut response: reqwest::Response, cap: usize) -> Result<Bytes> {
    let mut body = CappedBody::new(response.content_length(), cap)?;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => body.push(&chunk)?,
            Ok(None) => return Ok(body.finish()),
            Err(e) if e.is_timeout() => {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    "response body did not arrive in time; raise the request timeout or try again later",
                )
                .with_source(e.without_url()));
            }
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Decode,
                    "response body ended early (truncated); try again",
                )
                .with_source(e.without_url()));
            }
        }
    }
}

/// A response body gathered chunk by chunk that never holds more than its cap.
#[derive(Debug)]
pub(crate) struct CappedBody {
    bytes: BytesMut,
    cap: usize,
}

impl CappedBody {
    /// An empty body; refuses at once a declared length (`Content-Length`) beyond `cap`.
    pub(crate) fn new(declared: Option<u64>, cap: usize) -> Result<Self> {
        if declared.is_some_and(|len| len > cap as u64) {
            return Err(too_large(cap));
        }
        // Grow with what arrives rather than trusting a declared length for the allocation.
        let initial = declared
            .map_or(8 * 1024, |len| usize::try_from(len).unwrap_or(usize::MAX))
            .min(cap)
            .min(1 << 20);
        Ok(CappedBody {
            bytes: BytesMut::with_capacity(initial),
            cap,
        })
    }

    /// Appends `chunk`, or fails if the body would pass the cap.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Result<()> {
        if self.bytes.len() + chunk.len() > self.cap {
            return Err(too_large(self.cap));
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// The whole body.
    pub(crate) fn finish(self) -> Bytes {
        self.bytes.freeze()
    }
}

fn too_large(cap: usize) -> Error {
    Error::new(
        ErrorKind::Decode,
        format!(
            "response body exceeds the {cap}-byte cap; raise max_body_bytes if this is expected"
        ),
    )
}

/// The Genesys error body, and the OAuth error body of the login host, leniently.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
    context_id: Option<String>,
    /// OAuth: `invalid_client`, `invalid_grant`, ...
    error: Option<String>,
    #[serde(rename = "error_description")]
    error_description: Option<String>,
    description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_errors_name_the_json_path_and_never_panic() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Page {
            results: Vec<Group>,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Group {
            count: u64,
        }
        let err =
            decode_json::<Page>(br#"{"results":[{"count":1},{"count":"x"}]}"#, "page").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert_eq!(err.json_path(), Some("results[1].count"));
        let err = decode_json::<Page>(br#"{"results":[{"count":1},{"cou"#, "page").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Decode);
        assert!(err.json_path().unwrap().starts_with("results[1]"), "{err}");
        for cut in 0..20 {
            let _ = decode_json::<Page>(&br#"{"results":[{"count":1}]}"#[..cut], "page");
        }
    }
}
