//! The webhook sink: POST JSON to the caller's endpoint, signed the Standard Webhooks way,
//! retried with backoff, dead-lettered when every attempt fails.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use url::{Host, Url};

use super::{DeadLetter, Delivered, DeliveryFailure, SigningSecret, Sink, dead_letter};
use crate::config::RetryPolicy;
use crate::retry::{
    CallClass, Exhausted, GiveUp, Verdict, parse_retry_after, retry_loop, status_retryable,
};
use crate::time::TimeSource;
use crate::{ConnectFailure, Error, ErrorKind, Result, ValidationError};

const DEFAULT_MAX_ATTEMPTS: u32 = 4;
const DEFAULT_INITIAL_BACKOFF: Duration = Duration::from_secs(1);
const DEFAULT_MAX_BACKOFF: Duration = Duration::from_secs(30);
const DEFAULT_MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a refusing response's body an error quotes.
const BODY_SNIPPET_BYTES: usize = 200;

/// Delivers items as JSON to an HTTP endpoint, following Standard Webhooks.
///
/// Each delivery gets one `webhook-id`, sent unchanged on every attempt so the receiver can
/// drop duplicates. With a secret, every attempt carries `webhook-timestamp` (unix seconds from
/// the [`TimeSource`] clock) and `webhook-signature`. Retries 408, 429, 5xx, connection
/// failures and timeouts with full-jitter exponential backoff, or after `Retry-After` when the
/// endpoint sends one (giving up when it asks for more than the ceiling). Redirects are not
/// followed: a 3xx is a failure, as are 410 (the endpoint is gone) and other 4xx, none retried.
/// When the delivery fails for good the exact body is written to
/// `<dead_letter_dir>/<webhook-id>.json`, or kept in the failure when no directory is set.
///
/// Serves any [`Serialize`] item; the item's serde form is the body.
///
/// # Example
/// ```no_run
/// use genesys_routing_eval::sink::{self, WebhookSink};
///
/// # async fn run() -> genesys_routing_eval::Result<()> {
/// let webhook = WebhookSink::builder("https://bi.example.com/hooks/routing")
///     .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
///     .dead_letter_dir("/var/lib/routing-eval/dead-letter")
///     .build()?;
/// let outcome = sink::deliver(&webhook, &serde_json::json!({"record_count": 0})).await;
/// println!("{:?} after {} attempt(s)", outcome.status, outcome.attempts);
/// # Ok(())
/// # }
/// ```
pub struct WebhookSink {
    name: String,
    url: Url,
    secret: Option<SigningSecret>,
    policy: RetryPolicy,
    timeout: Duration,
    dead_letter_dir: Option<PathBuf>,
    time: TimeSource,
    client: reqwest::Client,
}

impl WebhookSink {
    /// A builder for a sink posting to `url`.
    pub fn builder(url: impl Into<String>) -> WebhookSinkBuilder {
        WebhookSinkBuilder {
            url: url.into(),
            name: "webhook".into(),
            secret: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            initial_backoff: DEFAULT_INITIAL_BACKOFF,
            max_backoff: DEFAULT_MAX_BACKOFF,
            max_retry_after: DEFAULT_MAX_RETRY_AFTER,
            timeout: DEFAULT_TIMEOUT,
            dead_letter_dir: None,
            allow_insecure_http: false,
            time: TimeSource::default(),
        }
    }

    /// The endpoint's origin (scheme, host, port): safe to print, since webhook paths and
    /// queries often embed tokens.
    pub fn origin(&self) -> String {
        self.url.origin().ascii_serialization()
    }

    /// The directory undelivered payloads are written to, if one is set.
    pub fn dead_letter_dir(&self) -> Option<&std::path::Path> {
        self.dead_letter_dir.as_deref()
    }

    /// Posts `body` under `id` until accepted, given up, or out of attempts.
    async fn post(&self, id: &str, body: Bytes) -> Result<Delivered> {
        let outcome = retry_loop(
            &self.policy,
            &self.time,
            |attempt| {
                let body = &body;
                async move { self.attempt(id, body).await.map(|status| (attempt, status)) }
            },
            |refusal: &Refusal| Verdict {
                retryable: refusal.retryable,
                retry_after: refusal.retry_after,
            },
            |attempt, wait, refusal| {
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    reason = %refusal.message,
                    "webhook attempt failed; retrying"
                );
            },
        )
        .await;
        match outcome {
            Ok((attempts, status)) => Ok(Delivered::new()
                .with_attempts(attempts)
                .with_webhook_id(id)
                .with_http_status(status)),
            Err(Exhausted {
                error: refusal,
                attempts,
                why,
            }) => {
                let why = match why {
                    GiveUp::RetryAfterTooLong(asked) => Some(format!(
                        "it asked to retry after {}, beyond the {} ceiling",
                        human(asked),
                        human(self.policy.retry_after_ceiling)
                    )),
                    GiveUp::NotRetryable | GiveUp::OutOfAttempts | GiveUp::Deadline => None,
                };
                Err(self.give_up(id, body, attempts, refusal, why).await)
            }
        }
    }

    /// One POST, signed afresh (the timestamp is the attempt's).
    async fn attempt(&self, id: &str, body: &Bytes) -> std::result::Result<u16, Refusal> {
        let timestamp = self.time.clock.now().timestamp();
        let mut request = self
            .client
            .post(self.url.clone())
            .timeout(self.timeout)
            .header(CONTENT_TYPE, "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .body(body.clone());
        if let Some(secret) = &self.secret {
            request = request.header("webhook-signature", secret.sign(id, timestamp, body));
        }
        match request.send().await {
            Ok(response) => self.classify(response).await,
            Err(err) => Err(Refusal::transport(err, self.timeout)),
        }
    }

    async fn classify(&self, mut response: reqwest::Response) -> std::result::Result<u16, Refusal> {
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Ok(status);
        }
        let headers = response.headers().clone();
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| parse_retry_after(value, self.time.clock.now()));
        let correlation_id = header_str(&headers, "x-request-id")
            .or_else(|| header_str(&headers, "x-correlation-id"));
        let (retryable, message) = match status {
            300..=399 => (
                false,
                format!(
                    "endpoint answered {status} redirecting to `{}`; redirects are not followed, so configure the final url",
                    header_str(&headers, LOCATION.as_str()).unwrap_or_else(|| "?".into())
                ),
            ),
            410 => (
                false,
                "endpoint answered 410 gone: the receiver was removed; update or remove the webhook url".to_owned(),
            ),
            status if status_retryable(status, CallClass::Delivery) => {
                (true, format!("endpoint answered {status}"))
            }
            _ => {
                let snippet = body_snippet(&mut response).await;
                (
                    false,
                    format!("endpoint rejected the payload with {status}{snippet}; check what the receiver expects"),
                )
            }
        };
        Err(Refusal {
            message,
            status: Some(status),
            retryable,
            retry_after,
            correlation_id,
            cause: None,
        })
    }

    async fn give_up(
        &self,
        id: &str,
        body: Bytes,
        attempts: u32,
        last: Refusal,
        why: Option<String>,
    ) -> Error {
        let dead_letter = match &self.dead_letter_dir {
            Some(dir) => dead_letter::write(dir, id, body.clone()).await,
            None => DeadLetter::NotConfigured,
        };
        let mut failure = DeliveryFailure::new(attempts)
            .with_webhook_id(id)
            .with_dead_letter(dead_letter.clone());
        if !matches!(dead_letter, DeadLetter::Written(_)) {
            failure = failure.with_payload(body);
        }
        if let Some(cause) = last.cause {
            failure = failure.with_cause(cause);
        }
        let message = self.failure_message(attempts, &last.message, why, &dead_letter);
        let mut error = Error::new(ErrorKind::Sink, message);
        if let Some(status) = last.status {
            error = error.with_status(status);
        }
        if let Some(wait) = last.retry_after {
            error = error.with_retry_after(wait);
        }
        if let Some(id) = last.correlation_id {
            error = error.with_correlation_id(id);
        }
        failure.attach(error)
    }

    fn failure_message(
        &self,
        attempts: u32,
        last: &str,
        gave_up_because: Option<String>,
        dead_letter: &DeadLetter,
    ) -> String {
        let mut message = format!(
            "webhook delivery to {} failed after {attempts} attempt(s): {last}",
            self.origin()
        );
        if let Some(why) = gave_up_because {
            message.push_str(&format!("; gave up because {why}"));
        }
        match dead_letter {
            DeadLetter::Written(path) => {
                message.push_str(&format!("; payload written to {}", path.display()))
            }
            DeadLetter::WriteFailed { path, reason } => message.push_str(&format!(
                "; dead-letter file {} not written ({reason}), payload kept in the outcome",
                path.display()
            )),
            DeadLetter::NotConfigured => message.push_str(
                "; payload kept in the outcome (set a dead-letter directory to keep it on disk)",
            ),
        }
        message
    }
}

#[async_trait]
impl<T> Sink<T> for WebhookSink
where
    T: Serialize + Sync + ?Sized,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, item: &T) -> Result<Delivered> {
        // The id first: even an item that cannot be serialized is a webhook delivery that
        // failed (its outcome carries the id, as every webhook outcome does).
        let id = new_webhook_id(self.time.clock.now().timestamp_millis());
        let body = serde_json::to_vec(item).map_err(|err| {
            DeliveryFailure::new(0)
                .with_webhook_id(&id)
                .attach(Error::new(
                    ErrorKind::Sink,
                    format!("could not serialize the item to json: {err}"),
                ))
        })?;
        self.post(&id, Bytes::from(body)).await
    }
}

impl fmt::Debug for WebhookSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSink")
            .field("name", &self.name)
            .field("origin", &self.origin())
            .field("signed", &self.secret.is_some())
            .field("max_attempts", &self.policy.max_attempts)
            .field("timeout", &self.timeout)
            .field("dead_letter_dir", &self.dead_letter_dir)
            .finish_non_exhaustive()
    }
}

/// Why one attempt did not deliver.
struct Refusal {
    message: String,
    status: Option<u16>,
    retryable: bool,
    retry_after: Option<Duration>,
    correlation_id: Option<String>,
    cause: Option<reqwest::Error>,
}

impl Refusal {
    fn transport(err: reqwest::Error, timeout: Duration) -> Self {
        let message = if err.is_timeout() {
            format!("no answer within {}", human(timeout))
        } else if err.is_connect() {
            match crate::http::connect_failure(&err) {
                Some(ConnectFailure::Dns) => {
                    "cannot resolve the endpoint's host name (DNS failure)".to_owned()
                }
                Some(ConnectFailure::Refused) => {
                    "connection refused; nothing listens on the endpoint's port".to_owned()
                }
                Some(ConnectFailure::Tls) => {
                    "tls handshake with the endpoint failed (certificate or protocol)".to_owned()
                }
                None => "could not connect to the endpoint".to_owned(),
            }
        } else {
            "the connection failed".to_owned()
        };
        Refusal {
            message,
            status: None,
            retryable: true,
            retry_after: None,
            correlation_id: None,
            // reqwest's errors quote the whole url, whose path may hold a token.
            cause: Some(err.without_url()),
        }
    }
}

/// Builds a [`WebhookSink`]; [`build`](WebhookSinkBuilder::build) checks every setting at once.
pub struct WebhookSinkBuilder {
    url: String,
    name: String,
    secret: Option<SecretString>,
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    timeout: Duration,
    dead_letter_dir: Option<PathBuf>,
    allow_insecure_http: bool,
    time: TimeSource,
}

impl WebhookSinkBuilder {
    /// The sink's name in audit records. Default `webhook`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Signs every request with this Standard Webhooks secret (`whsec_<base64>`). Default: no
    /// signature.
    pub fn secret(mut self, secret: impl Into<SecretString>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    /// Attempts in all, the first included. Default 4.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Backoff between attempts: full jitter under `initial * 2^n`, capped at `max`. Default
    /// 1 s and 30 s.
    pub fn backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max;
        self
    }

    /// The longest `Retry-After` honoured; an endpoint asking for more ends the delivery.
    /// Default 60 s.
    pub fn max_retry_after(mut self, ceiling: Duration) -> Self {
        self.max_retry_after = ceiling;
        self
    }

    /// Time allowed for each attempt, response included. Default 15 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Where undelivered payloads are written, as `<dir>/<webhook-id>.json`. `build` creates
    /// the directory (parents included) and checks it is writable. Default: none, and the
    /// payload is kept in the outcome.
    pub fn dead_letter_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dead_letter_dir = Some(dir.into());
        self
    }

    /// Allows `http://` to hosts other than loopback. Default `false`: plain http is refused
    /// except for `127.0.0.1`, `::1` and `localhost`, since the body and signature would cross
    /// the network readable.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The clock, sleeper and jitter used for timestamps and waits. Default: the system's.
    pub fn time_source(mut self, time: TimeSource) -> Self {
        self.time = time;
        self
    }

    /// Checks every setting and builds the sink.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] listing every problem: a url that does not parse or is not
    /// http(s), plain http to a non-loopback host without
    /// [`allow_insecure_http`](Self::allow_insecure_http), a secret that is not
    /// `whsec_<base64>`, zero attempts, a zero timeout, a backoff whose initial wait is zero
    /// or above its cap, or a dead-letter directory that cannot be created or written.
    pub fn build(self) -> Result<WebhookSink> {
        let mut problems = Vec::new();
        let url = self.checked_url(&mut problems);
        let secret = self.secret.as_ref().and_then(|s| {
            SigningSecret::parse(s.expose_secret())
                .map_err(|p| problems.push(p))
                .ok()
        });
        self.check_policy(&mut problems);
        if let Some(dir) = &self.dead_letter_dir
            && let Err(err) = dead_letter::check_writable(dir)
        {
            problems.push(ValidationError::Invalid {
                name: "dead_letter_dir".into(),
                reason: format!(
                    "`{}` is not a writable directory ({err}); create it or choose another",
                    dir.display()
                ),
            });
        }
        let (Some(url), true) = (url, problems.is_empty()) else {
            return Err(Error::validation_errors(problems));
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("genesys-routing-eval/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|err| {
                Error::new(
                    ErrorKind::Config,
                    format!("could not set up the http client: {err}"),
                )
                .with_source(err)
            })?;
        Ok(WebhookSink {
            name: self.name,
            url,
            secret,
            // Deliveries have no overall deadline: the attempts and the ceilings bound them.
            policy: RetryPolicy {
                max_attempts: self.max_attempts,
                base: self.initial_backoff,
                cap: self.max_backoff,
                retry_after_ceiling: self.max_retry_after,
                total_deadline: Duration::MAX,
            },
            timeout: self.timeout,
            dead_letter_dir: self.dead_letter_dir,
            time: self.time,
            client,
        })
    }

    fn checked_url(&self, problems: &mut Vec<ValidationError>) -> Option<Url> {
        let invalid = |reason: String| ValidationError::Invalid {
            name: "webhook url".into(),
            reason,
        };
        let url = match Url::parse(self.url.trim()) {
            Ok(url) => url,
            Err(err) => {
                problems.push(invalid(format!(
                    "{err}; give an absolute url such as https://bi.example.com/hooks"
                )));
                return None;
            }
        };
        match url.scheme() {
            "https" => Some(url),
            "http" if self.allow_insecure_http || is_loopback(&url) => Some(url),
            "http" => {
                problems.push(ValidationError::InsecureHttp {
                    host: url.host_str().unwrap_or_default().to_owned(),
                });
                None
            }
            other => {
                problems.push(invalid(format!(
                    "scheme `{other}` is not supported; use https"
                )));
                None
            }
        }
    }

    fn check_policy(&self, problems: &mut Vec<ValidationError>) {
        let mut invalid = |name: &str, reason: &str| {
            problems.push(ValidationError::Invalid {
                name: name.into(),
                reason: reason.into(),
            })
        };
        if self.max_attempts == 0 {
            invalid(
                "webhook max_attempts",
                "must be at least 1 (the first attempt counts)",
            );
        }
        if self.timeout.is_zero() {
            invalid("webhook timeout", "must be above zero; the default is 15 s");
        }
        if self.initial_backoff.is_zero() || self.initial_backoff > self.max_backoff {
            invalid(
                "webhook backoff",
                "the initial wait must be above zero and at most the cap; the default is 1 s capped at 30 s",
            );
        }
    }
}

impl fmt::Debug for WebhookSinkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSinkBuilder")
            .field("name", &self.name)
            .field("signed", &self.secret.is_some())
            .field("max_attempts", &self.max_attempts)
            .field("timeout", &self.timeout)
            .field("dead_letter_dir", &self.dead_letter_dir)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

/// `15 s` for whole seconds, else `200 ms`.
fn human(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// A `webhook-id`: `msg_`, the time, a process-wide sequence and random bits, so two
/// deliveries never share one (the receiver deduplicates on it). Hex only: it names the
/// dead-letter file.
fn new_webhook_id(unix_millis: i64) -> String {
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    format!(
        "msg_{:012x}{:06x}{:016x}",
        unix_millis.max(0),
        seq & 0xff_ffff,
        fastrand::u64(..)
    )
}

/// `Retry-After` as a wait: delay seconds, or an HTTP date relative to `now`.
fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The start of a refusing response's body, on one line, for the error message.
async fn body_snippet(response: &mut reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while bytes.len() < BODY_SNIPPET_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(BODY_SNIPPET_BYTES);
    let text: String = String::from_utf8_lossy(&bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(" ({text})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink() -> WebhookSink {
        WebhookSink::builder("http://127.0.0.1:9/hook")
            .build()
            .unwrap()
    }

    #[test]
    fn backoff_ceiling_doubles_from_one_second_up_to_thirty() {
        let s = sink();
        let ceilings: Vec<u64> = (1..=7)
            .map(|n| s.policy.backoff_ceiling(n).as_secs())
            .collect();
        assert_eq!(ceilings, vec![1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(s.policy.backoff_ceiling(200), Duration::from_secs(30));
    }

    #[test]
    fn webhook_ids_are_unique_and_safe_as_file_names() {
        let ids: std::collections::HashSet<_> = (0..10_000).map(|_| new_webhook_id(0)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(
            ids.iter()
                .all(|id| id.starts_with("msg_") && id[4..].chars().all(|c| c.is_ascii_hexdigit()))
        );
    }

    #[test]
    fn loopback_hosts_may_use_plain_http_others_may_not() {
        for ok in [
            "http://127.0.0.1:8080/h",
            "http://[::1]/h",
            "http://localhost/h",
        ] {
            assert!(WebhookSink::builder(ok).build().is_ok(), "{ok}");
        }
        let err = WebhookSink::builder("http://bi.example.com/h")
            .build()
            .unwrap_err();
        assert_eq!(
            err.validation(),
            &[ValidationError::InsecureHttp {
                host: "bi.example.com".into()
            }]
        );
        assert!(
            WebhookSink::builder("http://bi.example.com/h")
                .allow_insecure_http(true)
                .build()
                .is_ok()
        );
    }
}
