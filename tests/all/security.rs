//! Security claims of `docs/security.md` that no other module's tests hold: redirects from
//! Genesys are not followed, https never falls back to plain http, credentials reach neither
//! logs nor webhooks nor audit records, hostile bodies cannot exhaust the stack or the error
//! message.

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use genesys_routing_eval::config::RetryPolicy;
use genesys_routing_eval::evaluation::Evaluation;
use genesys_routing_eval::progress::Progress;
use genesys_routing_eval::sink::{self, JsonLinesSink, WebhookSink};
use genesys_routing_eval::sources::aggregates::{AggregationQuery, JobState};
use genesys_routing_eval::time::{FixedJitter, ManualClock};
use genesys_routing_eval::{Client, ErrorKind};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http::{CLIENT_ID, CLIENT_SECRET, JOBS_PATH, STATUS_PATH, client_for, start_time};
use crate::support::run_evaluation;

const ACCESS_TOKEN: &str = "access-token-7f3a9c-must-never-be-printed";

fn basic_credentials() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
}

/// The strings that must never leave the client except in the `Authorization` header sent
/// to the configured hosts.
fn credentials() -> [String; 3] {
    [
        CLIENT_SECRET.to_owned(),
        ACCESS_TOKEN.to_owned(),
        basic_credentials(),
    ]
}

fn assert_no_credentials(what: &str, text: &str) {
    for credential in credentials() {
        assert!(
            !text.contains(&credential),
            "{what} shows `{credential}`:\n{text}"
        );
    }
}

/// A Genesys stand-in issuing `ACCESS_TOKEN` and answering one aggregates job with one
/// group; `status_401_first` makes the first status poll a 401, so renewal is exercised.
async fn genesys(status_401_first: bool) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(JOBS_PATH))
        .respond_with(
            ResponseTemplate::new(202).set_body_json(serde_json::json!({"jobId": "job-1"})),
        )
        .mount(&server)
        .await;
    if status_401_first {
        Mock::given(method("GET"))
            .and(path(STATUS_PATH))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "message": "token expired", "code": "authentication.required", "status": 401
            })))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"state": "FULFILLED"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{STATUS_PATH}/results")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "results": [{"group": {"usedRouting": "Bullseye"}, "data": [{
                "interval": "2025-12-31T00:00:00.000Z/2026-01-01T00:00:00.000Z",
                "metrics": [
                    {"metric": "nOffered", "stats": {"count": 40}},
                    {"metric": "tAnswered", "stats": {"count": 30, "sum": 300000.0}},
                    {"metric": "tHandle", "stats": {"count": 30, "sum": 9000000.0}},
                    {"metric": "tAbandon", "stats": {"count": 10}}
                ]
            }]}]
        })))
        .mount(&server)
        .await;
    server
}

/// Everything `tracing` emits, at every level, while the guard lives (this thread only).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A manual clock at the fixed [`start_time`] the mocked answers are written for (the shared
/// `support::clock` reads the real time instead).
fn clock_at_start() -> ManualClock {
    ManualClock::new(start_time())
}

fn query() -> AggregationQuery {
    AggregationQuery::new(
        start_time() - chrono::Duration::days(1),
        start_time(),
        ["nOffered", "tAnswered", "tHandle", "tAbandon"],
    )
    .group_by("usedRouting")
}

/// A server that answers every request with `status` and `Location: {target}/stolen`.
async fn redirecting_to(target: &MockServer, status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex(".*"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("location", format!("{}/stolen", target.uri())),
        )
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn api_redirects_are_not_followed_so_the_bearer_token_stays_on_the_api_host() {
    let elsewhere = MockServer::start().await;
    let server = crate::http::mock_genesys().await;
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", format!("{}/stolen", elsewhere.uri())),
        )
        .mount(&server)
        .await;
    let client = client_for(&server, &clock_at_start()).build().unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Client, "{err}");
    assert_eq!(err.status(), Some(307));
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn login_redirects_are_not_followed_so_the_client_secret_stays_on_the_login_host() {
    let elsewhere = MockServer::start().await;
    let login = redirecting_to(&elsewhere, 302).await;
    let api = MockServer::start().await;
    let client = Client::builder()
        .api_base(api.uri())
        .login_base(login.uri())
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .time_source(clock_at_start().time_source(FixedJitter(1.0)))
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.status(), Some(302), "{err}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
    assert!(api.received_requests().await.unwrap().is_empty());
    assert_no_credentials("the error", &format!("{err} {err:?}"));
}

#[cfg(feature = "rustls")]
#[tokio::test]
async fn https_to_a_plain_http_server_fails_instead_of_falling_back_to_http() {
    let plain = MockServer::start().await;
    let port = plain.address().port();
    let client = Client::builder()
        .api_base(format!("https://127.0.0.1:{port}"))
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .retry_policy(RetryPolicy::none())
        .time_source(clock_at_start().time_source(FixedJitter(1.0)))
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    // The TLS handshake failed, so no HTTP request (and no Basic header) was ever parsed.
    assert!(plain.received_requests().await.unwrap().is_empty());
    assert_no_credentials("the error", &format!("{err} {err:?}"));
}

#[tokio::test]
async fn trace_logs_of_a_job_with_a_token_renewal_never_show_secret_or_token() {
    let server = genesys(true).await;
    let client = client_for(&server, &clock_at_start()).build().unwrap();
    let (captured, _guard) = Captured::start();

    let run = client
        .aggregates()
        .run(&query(), "usedRouting", &Progress::none())
        .await
        .unwrap();

    assert_eq!(run.table.strategies().len(), 1);
    let logs = captured.text();
    assert!(
        logs.contains("401: renewed the token"),
        "renewal not logged:\n{logs}"
    );
    assert!(logs.contains("requesting an access token"), "{logs}");
    assert_no_credentials("the trace log", &logs);
    assert_no_credentials("the client's Debug form", &format!("{client:?}"));
}

#[tokio::test]
async fn an_evaluation_sends_no_genesys_credential_to_its_webhook_audit_log_or_logs() {
    let genesys = genesys(false).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let clock = clock_at_start();
    let client = client_for(&genesys, &clock).build().unwrap();
    let webhook = WebhookSink::builder(format!("{}/hooks/routing", receiver.uri()))
        .secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .build()
        .unwrap();
    let (captured, _guard) = Captured::start();

    let outcome = run_evaluation(
        Evaluation::builder()
            .client(client)
            .last_days(1)
            .webhook(webhook)
            .audit_sink(JsonLinesSink::new(&audit_path)),
    )
    .await;

    assert!(!outcome.sinks_failed(), "{:?}", outcome.audit.sink_outcomes);
    let posted = receiver.received_requests().await.unwrap();
    assert_eq!(posted.len(), 1);
    assert!(posted[0].headers.get("authorization").is_none());
    for (name, value) in &posted[0].headers {
        assert_no_credentials(name.as_str(), value.to_str().unwrap_or_default());
    }
    assert_no_credentials(
        "the webhook body",
        &String::from_utf8_lossy(&posted[0].body),
    );
    assert_no_credentials(
        "the audit log",
        &std::fs::read_to_string(&audit_path).unwrap(),
    );
    assert_no_credentials("the outcome's Debug form", &format!("{outcome:?}"));
    assert_no_credentials("the trace log", &captured.text());
}

#[tokio::test]
async fn a_webhook_refusal_quotes_at_most_a_short_snippet_of_a_huge_body() {
    let receiver = MockServer::start().await;
    let huge = "x".repeat(4 * 1024 * 1024);
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(huge))
        .mount(&receiver)
        .await;
    let webhook = WebhookSink::builder(format!("{}/hooks/routing", receiver.uri()))
        .build()
        .unwrap();

    let outcome = sink::deliver(&webhook, &serde_json::json!({"record_count": 0})).await;

    let error = outcome.error.unwrap();
    assert!(
        error.contains("rejected the payload with 400 (xxx"),
        "{error}"
    );
    assert!(error.len() < 1024, "{} bytes of error message", error.len());
}

#[tokio::test]
async fn deeply_nested_unknown_fields_are_skipped_without_exhausting_the_stack() {
    let server = crate::http::mock_genesys().await;
    let depth = 200_000;
    let nested = format!(
        r#"{{"state":"FULFILLED","extra":{}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string(nested))
        .mount(&server)
        .await;
    let client = client_for(&server, &clock_at_start()).build().unwrap();

    // A recursive descent 200 000 levels deep would overflow the test thread's stack and
    // abort the whole test binary; serde_json skips unknown values iteratively.
    let status = client.aggregates().status("job-1").await.unwrap();

    assert_eq!(status.state, JobState::Fulfilled);
}

#[tokio::test]
async fn an_error_body_beyond_the_cap_is_refused_like_any_other() {
    let server = crate::http::mock_genesys().await;
    let huge = format!(r#"{{"message":"{}"}}"#, "x".repeat(64 * 1024));
    Mock::given(method("GET"))
        .and(path(STATUS_PATH))
        .respond_with(ResponseTemplate::new(500).set_body_raw(huge, "application/json"))
        .mount(&server)
        .await;
    let client = client_for(&server, &clock_at_start())
        .max_body_bytes(4096)
        .build()
        .unwrap();

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode, "{err}");
    assert_eq!(err.status(), Some(500));
    assert!(err.message().contains("4096-byte cap"), "{err}");
    assert!(err.to_string().len() < 512, "{err}");
}

#[tokio::test]
async fn the_emulator_listens_on_loopback_only() {
    let emulator = routing_eval_emulator::Emulator::start().await.unwrap();

    let host = emulator.base_url().host_str().unwrap().to_owned();

    assert_eq!(host, "127.0.0.1");
}
