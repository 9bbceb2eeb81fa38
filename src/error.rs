//! The crate's one error type, classified by what the caller can do about it.
//!
//! Callers branch on [`Error::kind`] and [`Error::is_retryable`], never on message text or on
//! the HTTP library underneath. Everything a support ticket needs travels with the error: the
//! HTTP status, the Genesys `code`, the `contextId` (equal to the `ININ-Correlation-ID` header)
//! and the rate-limit headers.

use std::fmt;
use std::time::Duration;

use crate::retry::{CallClass, status_retryable};

/// What went wrong, at the level a caller can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Configuration or input was invalid; see [`Error::validation`]. Fix the input; retrying
    /// cannot help.
    Config,
    /// Authentication failed: an OAuth error, or a 401 that survived one token renewal.
    Auth,
    /// The server refused for rate limiting (429) and retrying was given up.
    RateLimited,
    /// The server failed (5xx) and retrying was given up or not allowed.
    Server,
    /// The server rejected the request (4xx other than 401 and 429).
    Client,
    /// A response body could not be decoded, was truncated, or exceeded the size cap.
    Decode,
    /// An asynchronous job ended FAILED, CANCELLED or EXPIRED.
    Job,
    /// A deadline or timeout passed.
    Timeout,
    /// The connection failed (refused, reset, DNS, TLS).
    Transport,
    /// A sink could not deliver an item.
    Sink,
    /// Scoring refused its input (the `reject` missing-value policy).
    Scoring,
    /// Local I/O failed (a file sink, a dead-letter directory, an input file).
    Io,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            ErrorKind::Config => "configuration error",
            ErrorKind::Auth => "authentication error",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Server => "server error",
            ErrorKind::Client => "request rejected",
            ErrorKind::Decode => "decode error",
            ErrorKind::Job => "job error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport error",
            ErrorKind::Sink => "sink error",
            ErrorKind::Scoring => "scoring error",
            ErrorKind::Io => "i/o error",
        };
        f.write_str(name)
    }
}

/// Why a connection could not be made, for [`ErrorKind::Transport`] errors: each calls for a
/// different fix (the host name, the service, the certificate or proxy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectFailure {
    /// The host name did not resolve: check its spelling, the region, or DNS.
    Dns,
    /// The host answered but nothing listens on the port (connection refused).
    Refused,
    /// The TLS handshake failed: a certificate the client does not trust, a name that does
    /// not match, or a peer that does not speak TLS (plain http on an https port).
    Tls,
}

/// One problem found while validating configuration or input, before any network call.
///
/// Builders collect every problem they find, so [`Error::validation`] can hold several.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A required setting was not given.
    #[error("{name} is required; {hint}")]
    Missing {
        /// The setting's name, as the caller knows it (a builder method or an env var).
        name: String,
        /// How to provide it.
        hint: String,
    },
    /// A setting has a value that cannot be used.
    #[error("{name} is invalid: {reason}")]
    Invalid {
        /// The setting's name.
        name: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
    /// `http://` was given for a host that is not loopback.
    #[error(
        "refusing plain http for non-loopback host `{host}`; use https (http is only allowed for 127.0.0.1, ::1 and localhost)"
    )]
    InsecureHttp {
        /// The host that was refused.
        host: String,
    },
    /// No strategy ids were given where the source needs them.
    #[error("no strategy ids given; the {source_name} source needs at least one")]
    NoStrategies {
        /// The source that needs them.
        source_name: String,
    },
    /// Too many or too few metrics.
    #[error("{count} metrics requested; the {source_name} source accepts 1 to {max}; {hint}")]
    MetricCount {
        /// How many were given.
        count: usize,
        /// The most the source accepts.
        max: usize,
        /// The source.
        source_name: String,
        /// How to fix it.
        hint: String,
    },
    /// The window's start is not before its end.
    #[error("window start {from} is not before its end {to}; swap them or widen the window")]
    WindowOrder {
        /// Start, RFC 3339.
        from: String,
        /// End, RFC 3339.
        to: String,
    },
    /// The window is longer than the source allows in one query.
    #[error(
        "window of {days} days exceeds the {source_name} source's {max_days}-day limit; shorten it or use the aggregates source"
    )]
    WindowTooLong {
        /// The window's length in days (rounded up).
        days: i64,
        /// The limit.
        max_days: i64,
        /// The source.
        source_name: String,
    },
    /// A group-by that the source does not support.
    #[error(
        "group-by `{value}` is not supported by the {source_name} source; use one of: {supported}"
    )]
    UnsupportedGroupBy {
        /// What was asked.
        value: String,
        /// The source.
        source_name: String,
        /// The accepted values, comma separated.
        supported: String,
    },
    /// The window ends after the time the evaluation is built or run: its last buckets would
    /// be partial and change on the next run.
    #[error("window end {to} is in the future (now is {now}); end the window at or before now")]
    WindowInFuture {
        /// The window's end, RFC 3339.
        to: String,
        /// The clock's reading, RFC 3339.
        now: String,
    },
    /// The window needs more jobs than the evaluation's budget allows.
    #[error(
        "the window needs {jobs} jobs (about {requests} requests), more than the budget of {max_jobs}; shorten the window or raise the job budget to at least {jobs}"
    )]
    OverBudget {
        /// Jobs the window needs.
        jobs: usize,
        /// Requests estimated for them ([`Estimate`](crate::evaluation::Estimate)).
        requests: u64,
        /// The budget.
        max_jobs: usize,
    },
    /// A `GENESYS_*` environment variable that nothing reads: a typo, most likely.
    #[error("unknown environment variable {name}; did you mean {suggestion}?")]
    UnknownVariable {
        /// The variable as set.
        name: String,
        /// The nearest known variable.
        suggestion: String,
    },
    /// Emulator data would leave the process through these sinks, and that was not allowed.
    #[error(
        "refusing to deliver emulator data to {sinks}: it is synthetic; connect to Genesys Cloud, or allow it explicitly"
    )]
    EmulatorData {
        /// The sinks that would have received it, comma separated.
        sinks: String,
    },
    /// A scoring KPI is invalid.
    #[error("scoring KPI `{metric}`: {reason}")]
    Kpi {
        /// The KPI's metric name (empty when the problem is with the list as a whole).
        metric: String,
        /// What is wrong and how to fix it.
        reason: String,
    },
}

/// Rate-limit headers Genesys sends on every response (`inin-ratelimit-*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `inin-ratelimit-allowed`: the budget.
    pub allowed: Option<u64>,
    /// `inin-ratelimit-count`: used so far in the window.
    pub count: Option<u64>,
    /// `inin-ratelimit-reset`: seconds until the window resets.
    pub reset_seconds: Option<u64>,
}

/// The crate's error: a [`kind`](Error::kind), a one-line message, and the context a caller
/// or a support ticket needs.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    correlation_id: Option<String>,
    rate_limit: Option<RateLimit>,
    retry_after: Option<Duration>,
    json_path: Option<String>,
    validation: Vec<ValidationError>,
    retryable: Option<bool>,
    connect_failure: Option<ConnectFailure>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a one-line, lower-case `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                message: message.into(),
                status: None,
                code: None,
                correlation_id: None,
                rate_limit: None,
                retry_after: None,
                json_path: None,
                validation: Vec::new(),
                retryable: None,
                connect_failure: None,
                source: None,
            }),
        }
    }

    /// A configuration error holding every problem found.
    ///
    /// The message lists them all, separated by `; `.
    pub fn validation_errors(problems: Vec<ValidationError>) -> Self {
        let message = problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        let mut err = Error::new(ErrorKind::Config, message);
        err.inner.validation = problems;
        err
    }

    /// `Ok(())` when `problems` is empty, else one configuration error holding them all
    /// ([`validation_errors`](Self::validation_errors)): the end of every `validate`.
    pub(crate) fn unless_problems(problems: Vec<ValidationError>) -> Result<()> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::validation_errors(problems))
        }
    }

    /// A configuration error for one problem.
    pub fn invalid(problem: ValidationError) -> Self {
        Error::validation_errors(vec![problem])
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    // The setters below are the client layer's: only it reads a response's context. Callers
    // read the context through the getters, and build their own errors with the public ones.

    /// Sets the Genesys error `code`.
    pub(crate) fn with_code(mut self, code: impl Into<String>) -> Self {
        self.inner.code = Some(code.into());
        self
    }

    /// Sets the correlation id (`contextId` / `ININ-Correlation-ID`).
    pub(crate) fn with_correlation_id(mut self, id: impl Into<String>) -> Self {
        self.inner.correlation_id = Some(id.into());
        self
    }

    /// Sets the rate-limit headers seen on the failing response.
    pub(crate) fn with_rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.inner.rate_limit = Some(rate_limit);
        self
    }

    /// Sets the `Retry-After` the server asked for.
    pub(crate) fn with_retry_after(mut self, wait: Duration) -> Self {
        self.inner.retry_after = Some(wait);
        self
    }

    /// Sets the JSON path where decoding failed.
    pub fn with_json_path(mut self, path: impl Into<String>) -> Self {
        self.inner.json_path = Some(path.into());
        self
    }

    /// Overrides the retryability derived from the kind and status.
    pub(crate) fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = Some(retryable);
        self
    }

    /// Sets why the connection could not be made.
    pub(crate) fn with_connect_failure(mut self, failure: ConnectFailure) -> Self {
        self.inner.connect_failure = Some(failure);
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.inner.source = Some(Box::new(source));
        self
    }

    /// What went wrong, at the level a caller can act on.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The one-line message, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// Whether the same call may succeed if tried again later.
    ///
    /// True for transport failures, timeouts, rate limiting and 408/502/503/504, unless the
    /// error says otherwise (a job submission that the server may have acted on is not).
    pub fn is_retryable(&self) -> bool {
        if let Some(explicit) = self.inner.retryable {
            return explicit;
        }
        match self.inner.kind {
            ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::RateLimited => true,
            ErrorKind::Server | ErrorKind::Client => self
                .inner
                .status
                .is_some_and(|status| status_retryable(status, CallClass::Idempotent)),
            _ => false,
        }
    }

    /// The HTTP status of the failing response, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The Genesys error `code` (such as `bad.request` or `invalid_client`), if the server sent
    /// one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// The Genesys `contextId` / `ININ-Correlation-ID`: quote it to Genesys support.
    pub fn correlation_id(&self) -> Option<&str> {
        self.inner.correlation_id.as_deref()
    }

    /// The rate-limit headers on the failing response.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.inner.rate_limit.as_ref()
    }

    /// The `Retry-After` the server asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Where in the JSON body decoding failed, such as `results[3].data[0].metrics`.
    pub fn json_path(&self) -> Option<&str> {
        self.inner.json_path.as_deref()
    }

    /// Why the connection could not be made (DNS, refused, TLS), for
    /// [`ErrorKind::Transport`] errors where that is known.
    pub fn connect_failure(&self) -> Option<ConnectFailure> {
        self.inner.connect_failure
    }

    /// Every validation problem, for [`ErrorKind::Config`] errors.
    pub fn validation(&self) -> &[ValidationError] {
        &self.inner.validation
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.inner.kind, self.inner.message)?;
        if let Some(status) = self.inner.status {
            write!(f, " (status {status}")?;
            if let Some(code) = &self.inner.code {
                write!(f, ", code {code}")?;
            }
            if let Some(id) = &self.inner.correlation_id {
                write!(f, ", correlation id {id}")?;
            }
            f.write_str(")")?;
        } else if let Some(id) = &self.inner.correlation_id {
            write!(f, " (correlation id {id})")?;
        }
        if let Some(path) = &self.inner.json_path {
            write!(f, " at `{path}`")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &i.kind).field("message", &i.message);
        if let Some(v) = &i.status {
            d.field("status", v);
        }
        if let Some(v) = &i.code {
            d.field("code", v);
        }
        if let Some(v) = &i.correlation_id {
            d.field("correlation_id", v);
        }
        if let Some(v) = &i.rate_limit {
            d.field("rate_limit", v);
        }
        if let Some(v) = &i.retry_after {
            d.field("retry_after", v);
        }
        if let Some(v) = &i.json_path {
            d.field("json_path", v);
        }
        if !i.validation.is_empty() {
            d.field("validation", &i.validation);
        }
        if let Some(v) = &i.connect_failure {
            d.field("connect_failure", v);
        }
        if let Some(v) = &i.source {
            d.field("source", v);
        }
        d.finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for `Result<T, genesys_routing_eval::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The candidate closest to `name` in edit distance, ignoring ASCII case (ties: the first), for
/// "did you mean" hints.
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wanted: Vec<char> = name.to_ascii_lowercase().chars().collect();
    candidates
        .into_iter()
        .min_by_key(|candidate| edit_distance(&wanted, &candidate.to_ascii_lowercase()))
}

/// Levenshtein distance between `a` and `b`, one row at a time.
fn edit_distance(a: &[char], b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_error_lists_every_problem() {
        let err = Error::validation_errors(vec![
            ValidationError::NoStrategies {
                source_name: "strategies".into(),
            },
            ValidationError::WindowTooLong {
                days: 45,
                max_days: 30,
                source_name: "strategies".into(),
            },
        ]);
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(err.validation().len(), 2);
        let text = err.to_string();
        assert!(text.contains("at least one"), "{text}");
        assert!(text.contains("45 days exceeds"), "{text}");
        assert!(!err.is_retryable());
    }

    #[test]
    fn retryability_follows_status_unless_overridden() {
        let e = Error::new(ErrorKind::Server, "unavailable").with_status(503);
        assert!(e.is_retryable());
        let e = Error::new(ErrorKind::Server, "boom").with_status(500);
        assert!(!e.is_retryable());
        let e = Error::new(ErrorKind::Server, "unavailable")
            .with_status(503)
            .with_retryable(false);
        assert!(!e.is_retryable());
    }

    #[test]
    fn display_carries_status_code_and_correlation_id() {
        let e = Error::new(ErrorKind::Client, "bad request")
            .with_status(400)
            .with_code("bad.request")
            .with_correlation_id("abc-123");
        assert_eq!(
            e.to_string(),
            "request rejected: bad request (status 400, code bad.request, correlation id abc-123)"
        );
    }
}
