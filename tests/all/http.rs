//! The HTTP core against one-off local responses: which failures are retried, the exact waits
//! chosen, and what errors carry.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use genesys_routing_eval::config::{RetryPolicy, Timeouts};
use genesys_routing_eval::sources::aggregates::{AggregationQuery, JobState};
use genesys_routing_eval::time::{FixedJitter, ManualClock};
use genesys_routing_eval::{Client, ClientBuilder, ErrorKind};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const CLIENT_ID: &str = "test-client";
pub(crate) const CLIENT_SECRET: &str = "test-secret-never-shown";
pub(crate) const STATUS_PATH: &str = "/api/v2/analytics/conversations/aggregates/jobs/job-1";
pub(crate) const JOBS_PATH: &str = "/api/v2/analytics/conversations/aggregates/jobs";

pub(crate) fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

/// A mock Genesys that issues tokens; the caller mounts the API responses.
pub(crate) async fn mock_genesys() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "token-abc", "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    server
}

/// A client for `server` on a manual clock with full-jitter fraction 1.0 (waits are the
/// backoff ceilings, so tests can state them).
pub(crate) fn client_for(server: &MockServer, clock: &ManualClock) -> ClientBuilder {
    Client::builder()
        .api_base(server.uri())
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .time_source(clock.time_source(FixedJitter(1.0)))
}

/// A manual clock and a client for `server` waiting on it, built with the defaults.
pub(crate) fn clocked_client(server: &MockServer) -> (ManualClock, Client) {
    let clock = ManualClock::new(start_time());
    let client = client_for(server, &clock).build().unwrap();
    (clock, client)
}

/// A client for the API at `api_base` whose tokens `tokens` issues, waiting on `clock` with
/// full-jitter fraction 1.0.
fn client_with_tokens(api_base: &str, tokens: &MockServer, clock: &ManualClock) -> ClientBuilder {
    Client::builder()
        .api_base(api_base)
        .login_base(tokens.uri())
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .time_source(clock.time_source(FixedJitter(1.0)))
}

/// The job status endpoint answers every request with `answer`.
pub(crate) async fn status_always(server: &MockServer, answer: ResponseTemplate) {
    Mock::given(path(STATUS_PATH))
        .respond_with(answer)
        .mount(server)
        .await;
}

pub(crate) fn fulfilled() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(serde_json::json!({"state": "FULFILLED"}))
}

/// The job status endpoint answers each of `first` once, in order, then `FULFILLED`.
pub(crate) async fn status_answers_then_fulfilled(
    server: &MockServer,
    first: impl IntoIterator<Item = ResponseTemplate>,
) {
    for answer in first {
        Mock::given(path(STATUS_PATH))
            .respond_with(answer)
            .up_to_n_times(1)
            .mount(server)
            .await;
    }
    status_always(server, fulfilled()).await;
}

pub(crate) async fn api_requests(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}

fn query() -> AggregationQuery {
    AggregationQuery::new(
        start_time(),
        start_time() + chrono::Duration::days(1),
        ["nOffered"],
    )
}

#[tokio::test]
async fn rate_limited_call_waits_the_retry_after_seconds_then_succeeds() {
    let server = mock_genesys().await;
    Mock::given(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    status_always(&server, fulfilled()).await;
    let (clock, client) = clocked_client(&server);

    let status = client.aggregates().status("job-1").await.unwrap();

    assert_eq!(status.state, JobState::Fulfilled);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(7); 2]);
    let stats = client.stats();
    assert_eq!((stats.requests, stats.retries), (4, 2));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_the_wait() {
    let server = mock_genesys().await;
    status_answers_then_fulfilled(
        &server,
        [
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "Thu, 01 Jan 2026 00:00:42 GMT"),
        ],
    )
    .await;
    let (clock, client) = clocked_client(&server);

    client.aggregates().status("job-1").await.unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(42)]);
}

#[tokio::test]
async fn server_error_bursts_back_off_exponentially_with_full_jitter_up_to_the_cap() {
    let server = mock_genesys().await;
    status_answers_then_fulfilled(&server, [502, 503, 504, 408].map(ResponseTemplate::new)).await;
    let clock = ManualClock::new(start_time());
    let client = Client::builder()
        .api_base(server.uri())
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .time_source(clock.time_source(FixedJitter(0.5)))
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(5)
                .with_backoff(Duration::from_secs(1), Duration::from_secs(3)),
        )
        .build()
        .unwrap();

    client.aggregates().status("job-1").await.unwrap();

    let ms: Vec<u128> = clock.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, vec![500, 1000, 1500, 1500]);
    assert_eq!(client.stats().retries, 4);
}

#[tokio::test]
async fn retrying_stops_after_max_attempts_with_the_last_error() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(502).insert_header("ININ-Correlation-ID", "corr-9"),
    )
    .await;
    let clock = ManualClock::new(start_time());
    let client = client_for(&server, &clock)
        .retry_policy(RetryPolicy::default().with_max_attempts(3))
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.correlation_id(), Some("corr-9"));
    assert!(err.is_retryable());
    assert_eq!(api_requests(&server, STATUS_PATH).await, 3);
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
}

#[tokio::test]
async fn retry_after_beyond_the_ceiling_gives_up_at_once() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
    )
    .await;
    let (clock, client) = clocked_client(&server);

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3600)));
    assert!(clock.sleeps().is_empty());
    assert_eq!(api_requests(&server, STATUS_PATH).await, 1);
}

#[tokio::test]
async fn retrying_stops_when_the_next_wait_would_pass_the_total_deadline() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "60"),
    )
    .await;
    let clock = ManualClock::new(start_time());
    let client = client_for(&server, &clock)
        .retry_policy(
            RetryPolicy::default()
                .with_max_attempts(10)
                .with_total_deadline(Duration::from_secs(150)),
        )
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(60); 2]);
}

#[tokio::test]
async fn job_submission_is_not_retried_on_500_or_502() {
    for status in [500, 502, 504] {
        let server = mock_genesys().await;
        Mock::given(method("POST"))
            .and(path(JOBS_PATH))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let (clock, client) = clocked_client(&server);

        let err = client.aggregates().submit(&query()).await.unwrap_err();

        assert_eq!(err.status(), Some(status));
        assert!(!err.is_retryable(), "the server may have created the job");
        assert_eq!(api_requests(&server, JOBS_PATH).await, 1, "status {status}");
        assert!(clock.sleeps().is_empty());
    }
}

#[tokio::test]
async fn job_submission_is_retried_on_429_and_503() {
    let server = mock_genesys().await;
    Mock::given(method("POST"))
        .and(path(JOBS_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(JOBS_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(JOBS_PATH))
        .respond_with(ResponseTemplate::new(202).set_body_json(serde_json::json!({"jobId": "j-7"})))
        .mount(&server)
        .await;
    let (clock, client) = clocked_client(&server);

    let job_id = client.aggregates().submit(&query()).await.unwrap();

    assert_eq!(job_id, "j-7");
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_secs(2), Duration::from_secs(1)]
    );
}

#[tokio::test]
async fn errors_carry_the_genesys_body_correlation_id_and_rate_limit_headers() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(400)
            .insert_header("ININ-Correlation-ID", "ctx-123")
            .insert_header("inin-ratelimit-allowed", "300")
            .insert_header("inin-ratelimit-count", "12")
            .insert_header("inin-ratelimit-reset", "45")
            .set_body_json(serde_json::json!({
                "message": "interval is not valid",
                "code": "bad.request",
                "status": 400,
                "contextId": "ctx-123",
                "details": [],
                "errors": []
            })),
    )
    .await;
    let (clock, client) = clocked_client(&server);

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Client);
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.code(), Some("bad.request"));
    assert_eq!(err.correlation_id(), Some("ctx-123"));
    assert!(err.message().contains("interval is not valid"), "{err}");
    let limit = err.rate_limit().unwrap();
    assert_eq!(
        (limit.allowed, limit.count, limit.reset_seconds),
        (Some(300), Some(12), Some(45))
    );
    assert!(!err.is_retryable());
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn malformed_body_is_a_decode_error_naming_the_json_path() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            r#"{"state":"PENDING","submissionDate":12}"#,
            "application/json",
        ),
    )
    .await;
    let (_clock, client) = clocked_client(&server);

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("submissionDate"));
}

#[tokio::test]
async fn body_beyond_the_cap_is_refused() {
    let server = mock_genesys().await;
    let big = format!(
        r#"{{"state":"PENDING","errorMessage":"{}"}}"#,
        "x".repeat(8192)
    );
    status_always(
        &server,
        ResponseTemplate::new(200).set_body_raw(big, "application/json"),
    )
    .await;
    let clock = ManualClock::new(start_time());
    let client = client_for(&server, &clock)
        .max_body_bytes(4096)
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("4096-byte cap"), "{err}");
}

#[tokio::test]
async fn slow_response_past_the_request_timeout_is_a_timeout() {
    let server = mock_genesys().await;
    status_always(&server, fulfilled().set_delay(Duration::from_secs(3))).await;
    let clock = ManualClock::new(start_time());
    let client = client_for(&server, &clock)
        .timeouts(Timeouts::new(
            Duration::from_secs(1),
            Duration::from_millis(200),
        ))
        .retry_policy(RetryPolicy::default().with_max_attempts(2))
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert!(err.is_retryable());
    assert_eq!(clock.sleeps().len(), 1, "a timeout is retried");
}

#[tokio::test]
async fn job_submission_is_retried_after_a_connect_failure() {
    let tokens = mock_genesys().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clock = ManualClock::new(start_time());
    let client = client_with_tokens(&format!("http://127.0.0.1:{port}"), &tokens, &clock)
        .retry_policy(RetryPolicy::default().with_max_attempts(3))
        .build()
        .unwrap();

    let err = client.aggregates().submit(&query()).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.is_retryable(), "nothing reached the server");
    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_millis(500), Duration::from_secs(1)]
    );
    let stats = client.stats();
    assert_eq!(
        (stats.requests, stats.retries),
        (4, 2),
        "a token and three attempts"
    );
}

#[tokio::test]
async fn a_counting_clone_measures_only_its_own_calls() {
    let server = mock_genesys().await;
    status_answers_then_fulfilled(&server, [ResponseTemplate::new(503)]).await;
    let (_clock, client) = clocked_client(&server);
    client.aggregates().status("job-1").await.unwrap();

    let counter = genesys_routing_eval::client::RequestCounter::new();
    let counted = client.counting(counter.clone());
    counted.aggregates().status("job-1").await.unwrap();

    let scoped = counter.snapshot();
    assert_eq!((scoped.requests, scoped.retries), (1, 0));
    let total = client.stats();
    assert_eq!((total.requests, total.retries), (4, 1));
}

/// Serves one chunked response of `chunks` chunks of 1 KiB (no `Content-Length`) to every
/// connection, so only streaming can enforce a cap.
async fn chunked_server(chunks: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
                for _ in 0..chunks {
                    if socket.write_all(chunk.as_bytes()).await.is_err() {
                        return;
                    }
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_streamed_body_is_cut_off_at_the_cap_without_a_content_length() {
    let tokens = mock_genesys().await;
    let api = chunked_server(1024).await;
    let clock = ManualClock::new(start_time());
    let client = client_with_tokens(&api, &tokens, &clock)
        .max_body_bytes(64 * 1024)
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.message().contains("65536-byte cap"), "{err}");
    assert!(
        clock.sleeps().is_empty(),
        "an oversized body is not retried"
    );
}

#[tokio::test]
async fn strategies_submission_accepts_any_2xx() {
    for status in [200, 201, 202] {
        let server = mock_genesys().await;
        Mock::given(method("POST"))
            .and(path("/api/v2/analytics/routing/strategies/query"))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(serde_json::json!({"id": "s-job"})),
            )
            .mount(&server)
            .await;
        let (_clock, client) = clocked_client(&server);
        let q = genesys_routing_eval::sources::strategies::StrategiesQuery::new(
            ["Bullseye"],
            ["handledCalls"],
            start_time(),
            start_time() + chrono::Duration::days(1),
        );

        assert_eq!(client.strategies().submit(&q).await.unwrap(), "s-job");
    }
}

/// What a job status request against `api_base` fails with, tokens served by `tokens`,
/// without retries.
async fn connect_error(api_base: &str, tokens: &MockServer) -> genesys_routing_eval::Error {
    client_with_tokens(api_base, tokens, &ManualClock::new(start_time()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
        .aggregates()
        .status("job-1")
        .await
        .unwrap_err()
}

#[tokio::test]
async fn dns_failure_refused_connection_and_tls_failure_are_told_apart() {
    use genesys_routing_eval::ConnectFailure;
    let tokens = mock_genesys().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    // A server that speaks plain HTTP, asked for https: the handshake cannot succeed.
    let plain = MockServer::start().await;
    let plain_as_https = plain.uri().replace("http://", "https://");

    let dns = connect_error("https://no-such-host.invalid", &tokens).await;
    let refused = connect_error(&format!("http://127.0.0.1:{closed}"), &tokens).await;
    let tls = connect_error(&plain_as_https, &tokens).await;

    for (error, failure, words) in [
        (
            &dns,
            ConnectFailure::Dns,
            "cannot resolve host name no-such-host.invalid",
        ),
        (
            &refused,
            ConnectFailure::Refused,
            "connection to 127.0.0.1 refused",
        ),
        (
            &tls,
            ConnectFailure::Tls,
            "tls handshake with 127.0.0.1 failed",
        ),
    ] {
        assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
        assert_eq!(error.connect_failure(), Some(failure), "{error:?}");
        assert!(error.to_string().contains(words), "{error}");
        assert!(!error.to_string().contains('\n'), "{error}");
    }
    assert!(plain.received_requests().await.unwrap().is_empty());
}
