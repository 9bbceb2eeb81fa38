//! Sinks over real I/O: the webhook sink against a recording receiver on 127.0.0.1, the JSON
//! lines sink against real files, signatures against independent implementations of the
//! Standard Webhooks algorithm.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::{Receiver, Recorded, clock, closed_port_url, problem_names, reply, webhook};
use axum::http::Method;
use chrono::{DateTime, Utc};
use genesys_routing_eval::sink::{
    self, DeliveryFailure, JsonLinesSink, MemorySink, SigningSecret, Sink, SinkOutcome, SinkStatus,
    TracingSink, WebhookSink,
};
use genesys_routing_eval::time::ManualClock;
use genesys_routing_eval::{ErrorKind, ValidationError};
use serde_json::{Value, json};

/// The Standard Webhooks specification's published vector (standard-webhooks/standard-webhooks,
/// `libraries/go/webhook_test.go`, `TestWebhookSign`).
const SPEC_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const SPEC_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const SPEC_TIMESTAMP: i64 = 1614265330;
const SPEC_BODY: &str = r#"{"test": 2432232314}"#;
const SPEC_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn report() -> Value {
    serde_json::from_str(include_str!("fixtures/sinks/report.json")).unwrap()
}

fn exact_body(item: &Value) -> Vec<u8> {
    serde_json::to_vec(item).unwrap()
}

fn secs(list: &[f64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

// ---------------------------------------------------------------------------------------------
// Signing

#[test]
fn signature_matches_the_specifications_published_test_vector() {
    let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
    assert_eq!(
        secret.sign(SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY.as_bytes()),
        SPEC_SIGNATURE
    );
}

#[tokio::test]
async fn signed_delivery_carries_the_standard_webhooks_headers() {
    let receiver = Receiver::start(vec![]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock)
        .secret(SPEC_SECRET)
        .build()
        .unwrap();
    let item = report();

    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Delivered, "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.http_status), (1, Some(200)));
    let [request] = receiver.requests().try_into().unwrap();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/hooks/routing");
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(&request.body[..], &exact_body(&item)[..]);
    assert_eq!(
        Some(request.header("webhook-id")),
        outcome.webhook_id.as_deref()
    );
    assert_eq!(
        request.header("webhook-timestamp"),
        clock.now_unix().to_string()
    );
    let signature = request.header("webhook-signature");
    assert!(signature.starts_with("v1,"), "{signature}");
    // The webhook body is the item's serde form, field names unchanged.
    let posted: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(posted["evaluation_type"], "routing_strategy_performance");
    assert_eq!(posted["data"][0]["strategyId"], "Bullseye");
}

#[tokio::test]
async fn signature_verifies_with_independent_implementations_of_the_spec() {
    let Some(python) = python3() else {
        eprintln!("skipping: python3 is not installed, so no independent verifier can run");
        return;
    };
    let receiver = Receiver::start(vec![]).await;
    let clock = clock();
    let secret = format!(
        "whsec_{}",
        base64_standard(b"an independent verifier's 32-byte key!")
    );
    let sink = webhook(&receiver.url(), &clock)
        .secret(secret.clone())
        .build()
        .unwrap();
    assert!(sink::deliver(&sink, &report()).await.is_delivered());
    let [request] = receiver.requests().try_into().unwrap();

    // 1. The algorithm re-implemented from the spec with Python's standard library.
    assert_eq!(
        run_verifier(&python, STDLIB_VERIFIER, &secret, &request, &request.body),
        Ok(()),
        "python stdlib verifier refused our signature"
    );
    let tampered = [&request.body[..], b" "].concat();
    assert!(
        run_verifier(&python, STDLIB_VERIFIER, &secret, &request, &tampered).is_err(),
        "the stdlib verifier must refuse a tampered body, or it proves nothing"
    );

    // 2. The official `standardwebhooks` package, in a throwaway virtualenv.
    match official_library_python(&python) {
        Ok(venv_python) => {
            assert_eq!(
                run_verifier(
                    &venv_python,
                    OFFICIAL_VERIFIER,
                    &secret,
                    &request,
                    &request.body
                ),
                Ok(()),
                "the official standardwebhooks library refused our signature"
            );
            assert!(
                run_verifier(
                    &venv_python,
                    OFFICIAL_VERIFIER,
                    &secret,
                    &request,
                    &tampered
                )
                .is_err(),
                "the official library must refuse a tampered body"
            );
        }
        // python3 is here and PyPI is reachable wherever this project runs: a failed install
        // is a broken environment, not a reason to skip the one independent verifier.
        Err(why) => panic!("could not install the official standardwebhooks package: {why}"),
    }
}

const STDLIB_VERIFIER: &str = r#"
import base64, hashlib, hmac, os, sys
body = sys.stdin.buffer.read()
secret = os.environ["SECRET"]
assert secret.startswith("whsec_")
key = base64.b64decode(secret[len("whsec_"):])
signed = "{}.{}.".format(os.environ["WEBHOOK_ID"], os.environ["WEBHOOK_TIMESTAMP"]).encode() + body
expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
for entry in os.environ["WEBHOOK_SIGNATURE"].split(" "):
    version, _, value = entry.partition(",")
    if version == "v1" and hmac.compare_digest(value, expected):
        sys.exit(0)
sys.exit("no matching v1 signature")
"#;

const OFFICIAL_VERIFIER: &str = r#"
import os, sys
from standardwebhooks import Webhook
body = sys.stdin.buffer.read()
Webhook(os.environ["SECRET"]).verify(body, {
    "webhook-id": os.environ["WEBHOOK_ID"],
    "webhook-timestamp": os.environ["WEBHOOK_TIMESTAMP"],
    "webhook-signature": os.environ["WEBHOOK_SIGNATURE"],
})
"#;

fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then(|| PathBuf::from("python3"))
}

/// Runs `script` with the request's headers in the environment and `body` on stdin.
fn run_verifier(
    python: &Path,
    script: &str,
    secret: &str,
    request: &Recorded,
    body: &[u8],
) -> Result<(), String> {
    let mut child = Command::new(python)
        .args(["-c", script])
        .env("SECRET", secret)
        .env("WEBHOOK_ID", request.header("webhook-id"))
        .env("WEBHOOK_TIMESTAMP", request.header("webhook-timestamp"))
        .env("WEBHOOK_SIGNATURE", request.header("webhook-signature"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child.stdin.take().unwrap().write_all(body).unwrap();
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The python of a virtualenv holding the official package, made once per target dir.
fn official_library_python(python: &Path) -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("standardwebhooks-venv");
    let venv_python = venv.join("bin/python");
    let importable = |p: &Path| {
        Command::new(p)
            .args(["-c", "import standardwebhooks"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if importable(&venv_python) {
        return Ok(venv_python);
    }
    let run = |cmd: &mut Command, what: &str| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!(
                "{what} failed: {}",
                err.lines().last().unwrap_or("")
            ))
        }
    };
    run(
        Command::new(python).args(["-m", "venv"]).arg(&venv),
        "python3 -m venv",
    )?;
    run(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "standardwebhooks>=1,<2",
        ]),
        "pip install standardwebhooks",
    )?;
    if importable(&venv_python) {
        Ok(venv_python)
    } else {
        Err("standardwebhooks installed but not importable".into())
    }
}

fn base64_standard(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------------------------------
// Retries

#[tokio::test]
async fn retries_send_the_same_webhook_id_and_body_signed_afresh() {
    let receiver = Receiver::start(vec![reply(503), reply(502)]).await;
    let clock = clock();
    let start = clock.now_unix();
    let sink = webhook(&receiver.url(), &clock)
        .secret(SPEC_SECRET)
        .build()
        .unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert!(outcome.is_delivered(), "{outcome:?}");
    assert_eq!(outcome.attempts, 3);
    assert_eq!(clock.sleeps(), secs(&[0.5, 1.0]));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3);
    let secret = SigningSecret::parse(SPEC_SECRET).unwrap();
    // Each attempt's timestamp is the clock's when it was sent: after 0 s, 0.5 s, 1.5 s.
    for (request, expected_ts) in requests.iter().zip([start, start, start + 1]) {
        assert_eq!(
            Some(request.header("webhook-id")),
            outcome.webhook_id.as_deref()
        );
        assert_eq!(request.body, requests[0].body);
        assert_eq!(request.header("webhook-timestamp"), expected_ts.to_string());
        assert_eq!(
            request.header("webhook-signature"),
            secret.sign(request.header("webhook-id"), expected_ts, &request.body)
        );
    }
}

#[tokio::test]
async fn server_error_then_success_delivers_after_one_jittered_wait() {
    let receiver = Receiver::start(vec![reply(500)]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert!(outcome.is_delivered(), "{outcome:?}");
    assert_eq!((outcome.attempts, outcome.http_status), (2, Some(200)));
    // Full jitter under the first ceiling (1 s), drawn at half by FixedJitter(0.5).
    assert_eq!(clock.sleeps(), secs(&[0.5]));
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn rate_limited_delivery_waits_exactly_what_retry_after_asks() {
    let receiver = Receiver::start(vec![
        reply(429).header("retry-after", "7"),
        reply(503).header("retry-after", "60"),
    ])
    .await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert!(outcome.is_delivered(), "{outcome:?}");
    assert_eq!(outcome.attempts, 3);
    assert_eq!(clock.sleeps(), secs(&[7.0, 60.0]));
}

#[tokio::test]
async fn retry_after_beyond_sixty_seconds_gives_up_at_once() {
    let receiver = Receiver::start(vec![reply(429).header("retry-after", "61")]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();
    let item = report();

    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!((outcome.attempts, outcome.http_status), (1, Some(429)));
    assert!(clock.sleeps().is_empty());
    let error = outcome.error.as_deref().unwrap();
    assert!(
        error.contains("retry after 61 s, beyond the 60 s ceiling"),
        "{error}"
    );
    assert_eq!(outcome.undelivered.as_deref(), Some(&exact_body(&item)[..]));
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn redirect_is_a_failure_and_is_not_followed() {
    let receiver = Receiver::start(vec![reply(307).header("location", "/elsewhere")]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!((outcome.attempts, outcome.http_status), (1, Some(307)));
    let paths: Vec<String> = receiver.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec!["/hooks/routing"]);
    let error = outcome.error.as_deref().unwrap();
    assert!(error.contains("redirects are not followed"), "{error}");
    assert!(error.contains("/elsewhere"), "{error}");
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn gone_endpoint_is_not_retried() {
    let receiver = Receiver::start(vec![reply(410)]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!((outcome.attempts, outcome.http_status), (1, Some(410)));
    assert!(outcome.error.as_deref().unwrap().contains("410 gone"));
    assert_eq!(receiver.requests().len(), 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn client_error_is_not_retried_and_its_message_quotes_the_body() {
    let receiver = Receiver::start(vec![
        reply(422).body("{\"error\":\"record_count\nis required\"}"),
    ])
    .await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock).build().unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert_eq!((outcome.attempts, outcome.http_status), (1, Some(422)));
    let error = outcome.error.as_deref().unwrap();
    assert!(error.contains("rejected the payload with 422"), "{error}");
    assert!(error.contains("record_count is required"), "{error}");
    assert!(!error.contains('\n'), "one-line messages: {error:?}");
    assert_eq!(receiver.requests().len(), 1);
}

#[tokio::test]
async fn attempt_that_times_out_is_retried() {
    let receiver = Receiver::start(vec![reply(200).after(Duration::from_secs(10))]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert!(outcome.is_delivered(), "{outcome:?}");
    assert_eq!(outcome.attempts, 2);
    assert_eq!(clock.sleeps(), secs(&[0.5]));
    let requests = receiver.requests();
    assert_eq!(
        requests[0].header("webhook-id"),
        requests[1].header("webhook-id")
    );
}

#[tokio::test]
async fn every_attempt_timing_out_reports_the_timeout() {
    let slow = || reply(200).after(Duration::from_secs(10));
    let receiver = Receiver::start(vec![slow(), slow()]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock)
        .timeout(Duration::from_millis(200))
        .max_attempts(2)
        .build()
        .unwrap();

    let outcome = sink::deliver(&sink, &report()).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!((outcome.attempts, outcome.http_status), (2, None));
    let error = outcome.error.as_deref().unwrap();
    assert!(error.contains("no answer within 200 ms"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Dead letters: nothing is lost

#[tokio::test]
async fn every_attempt_failing_writes_the_exact_body_to_the_dead_letter_dir() {
    let receiver = Receiver::start(vec![reply(503); 4]).await;
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let sink = webhook(&receiver.url(), &clock)
        .secret(SPEC_SECRET)
        .dead_letter_dir(dir.path())
        .build()
        .unwrap();
    let item = report();

    let result = Sink::<Value>::deliver(&sink, &item).await;
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Sink);
    assert_eq!(error.status(), Some(503));
    let failure = DeliveryFailure::of(&error).expect("a delivery failure is attached");
    assert_eq!(failure.attempts, 4);
    assert!(failure.payload.is_none(), "the dead-letter file holds it");
    let outcome = SinkOutcome::from_result("webhook", Err(error));

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!(outcome.attempts, 4);
    assert_eq!(clock.sleeps(), secs(&[0.5, 1.0, 2.0]));
    let id = outcome.webhook_id.clone().unwrap();
    let path = dir.path().join(format!("{id}.json"));
    assert_eq!(outcome.dead_letter.as_deref(), Some(path.as_path()));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(std::fs::read(&path).unwrap(), &requests[3].body[..]);
    assert_eq!(std::fs::read(&path).unwrap(), exact_body(&item));
    assert!(outcome.undelivered.is_none());
    let error = outcome.error.unwrap();
    assert!(error.contains(&path.display().to_string()), "{error}");
    // Only the dead letter is left in the directory: no temporary files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[tokio::test]
async fn unreachable_endpoint_is_retried_then_dead_lettered() {
    let url = closed_port_url().await;
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let sink = webhook(&url, &clock)
        .dead_letter_dir(dir.path().join("dead-letter"))
        .build()
        .unwrap();
    let item = report();

    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!((outcome.attempts, outcome.http_status), (4, None));
    assert_eq!(clock.sleeps(), secs(&[0.5, 1.0, 2.0]));
    assert!(
        outcome
            .error
            .as_deref()
            .unwrap()
            .contains("connection refused; nothing listens on the endpoint's port"),
        "{:?}",
        outcome.error
    );
    let path = outcome.dead_letter.expect("dead-lettered");
    assert_eq!(
        path.parent(),
        Some(dir.path().join("dead-letter").as_path())
    );
    assert_eq!(std::fs::read(path).unwrap(), exact_body(&item));
}

#[tokio::test]
async fn errors_never_quote_the_webhook_url_path() {
    // Webhook paths often embed a token; errors, outcomes and logs show only the origin.
    let url = closed_port_url()
        .await
        .replace("/hooks/routing", "/hooks/T0KEN123");
    let clock = clock();
    let sink = webhook(&url, &clock).max_attempts(1).build().unwrap();

    let error = Sink::<Value>::deliver(&sink, &report()).await.unwrap_err();

    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("T0KEN123"), "{shown}");
    assert!(shown.contains("http://127.0.0.1:"), "{shown}");
}

#[tokio::test]
async fn unwritable_dead_letter_dir_is_reported_and_the_payload_kept() {
    let receiver = Receiver::start(vec![reply(500)]).await;
    let clock = clock();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("dead-letter");
    let sink = webhook(&receiver.url(), &clock)
        .max_attempts(1)
        .dead_letter_dir(&dir)
        .build()
        .unwrap();
    // The directory goes after the build checked it (a clean-up job, a full disk): a regular
    // file takes its place, and no file can be written beneath it, even by root.
    std::fs::remove_dir(&dir).unwrap();
    std::fs::write(&dir, b"").unwrap();
    let item = report();

    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert!(outcome.dead_letter.is_none());
    let why = outcome.dead_letter_error.as_deref().expect("says why");
    assert!(why.contains("dead-letter"), "{why}");
    assert!(why.contains("writable"), "{why}");
    assert_eq!(outcome.undelivered.as_deref(), Some(&exact_body(&item)[..]));
    assert!(
        outcome
            .error
            .as_deref()
            .unwrap()
            .contains("payload kept in the outcome")
    );
}

#[test]
fn a_dead_letter_dir_that_cannot_be_created_is_refused_by_build_and_a_missing_one_is_created() {
    let scratch = tempfile::tempdir().unwrap();
    let blocker = scratch.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();

    let refused = WebhookSink::builder("https://bi.example.com/hooks")
        .dead_letter_dir(blocker.join("dead-letter"))
        .build()
        .unwrap_err();

    assert_eq!(refused.kind(), ErrorKind::Config);
    assert!(
        matches!(refused.validation(), [ValidationError::Invalid { name, reason }]
            if name == "dead_letter_dir" && reason.contains("not-a-dir")),
        "{refused}"
    );
    let nested = scratch.path().join("state/routing-eval/dead-letters");
    WebhookSink::builder("https://bi.example.com/hooks")
        .dead_letter_dir(&nested)
        .build()
        .unwrap();
    assert!(nested.is_dir());
    assert_eq!(
        std::fs::read_dir(&nested).unwrap().count(),
        0,
        "the probe is removed"
    );
}

#[test]
fn json_lines_create_makes_parents_and_refuses_an_unwritable_path() {
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("logs/2026/audit.jsonl");
    let sink = JsonLinesSink::create(&path).unwrap();
    assert_eq!(sink.path(), path);
    assert_eq!(std::fs::read(&path).unwrap(), b"");

    let blocker = scratch.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let refused = JsonLinesSink::create(blocker.join("audit.jsonl")).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Config);
    assert!(refused.to_string().contains("not-a-dir"), "{refused}");
}

#[tokio::test]
async fn without_a_dead_letter_dir_the_payload_stays_in_the_outcome() {
    let receiver = Receiver::start(vec![reply(500), reply(500)]).await;
    let clock = clock();
    let sink = webhook(&receiver.url(), &clock)
        .max_attempts(2)
        .build()
        .unwrap();
    let item = report();

    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert_eq!(outcome.attempts, 2);
    assert_eq!(
        outcome.undelivered.as_deref(),
        Some(&receiver.requests()[1].body[..])
    );
    assert_eq!(outcome.undelivered.as_deref(), Some(&exact_body(&item)[..]));
    assert!(outcome.dead_letter.is_none() && outcome.dead_letter_error.is_none());
}

#[test]
fn outcome_serializes_for_the_audit_record_without_the_payload() {
    let error = DeliveryFailure::new(2)
        .with_webhook_id("msg_1")
        .with_payload(&b"{\"secret_report\":1}"[..])
        .attach(
            genesys_routing_eval::Error::new(ErrorKind::Sink, "endpoint answered 500")
                .with_status(500),
        );
    let outcome = SinkOutcome::from_result("webhook", Err(error));
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(
        json,
        json!({
            "sink": "webhook",
            "status": "failed",
            "attempts": 2,
            "http_status": 500,
            "webhook_id": "msg_1",
            "error": "sink error: endpoint answered 500 (status 500)",
            "correlation_id": null,
            "dead_letter": null,
            "dead_letter_error": null,
        })
    );
    let back: SinkOutcome = serde_json::from_value(json).unwrap();
    assert_eq!(back.undelivered, None);
    let mut expected = outcome.clone();
    expected.undelivered = None;
    assert_eq!(back, expected, "round-trips apart from the payload");
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[test]
fn invalid_webhook_settings_are_all_reported_at_once() {
    let err = WebhookSink::builder("http://bi.example.com/hooks")
        .secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .max_attempts(0)
        .timeout(Duration::ZERO)
        .backoff(Duration::from_secs(40), Duration::from_secs(30))
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert_eq!(
        problem_names(&err),
        vec![
            "insecure bi.example.com",
            "webhook secret",
            "webhook max_attempts",
            "webhook timeout",
            "webhook backoff",
        ]
    );
    assert!(!err.to_string().contains("MfKQ9r8"), "{err}");
}

#[test]
fn unparsable_or_unsupported_urls_are_refused() {
    for url in ["not a url", "ftp://bi.example.com/hooks", "/relative/path"] {
        let err = WebhookSink::builder(url).build().unwrap_err();
        assert!(
            matches!(&err.validation()[0], ValidationError::Invalid { name, .. } if name == "webhook url"),
            "{url}: {err}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_signing_secret_or_the_url_path() {
    let secret = "whsec_c2VjcmV0LWtleS1mb3ItZGVidWctb3V0cHV0LXRlc3Q=";
    let builder = WebhookSink::builder("https://bi.example.com/hooks/T0KEN123").secret(secret);
    let shown_builder = format!("{builder:?}");
    let sink = builder.build().unwrap();
    let shown_sink = format!("{sink:?}");
    let shown_secret = format!("{:?}", SigningSecret::parse(secret).unwrap());
    for shown in [&shown_builder, &shown_sink, &shown_secret] {
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(!shown.contains("whsec_"), "{shown}");
        assert!(!shown.contains("T0KEN123"), "{shown}");
    }
    assert!(
        shown_sink.contains("https://bi.example.com"),
        "{shown_sink}"
    );
    assert!(shown_sink.contains("signed: true"), "{shown_sink}");
    assert_eq!(shown_secret, "SigningSecret([redacted])");
}

// ---------------------------------------------------------------------------------------------
// JSON lines

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_deliveries_append_thirty_two_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    // Records large enough that an unsynchronized writer would split them.
    let filler = "x".repeat(256 * 1024);
    let shared = JsonLinesSink::new(&path);
    let tasks: Vec<_> = (0..32)
        .map(|n| {
            // Half share one sink value, half build their own: both must be safe.
            let sink = if n % 2 == 0 {
                shared.clone()
            } else {
                JsonLinesSink::new(&path)
            };
            let filler = filler.clone();
            tokio::spawn(async move {
                let record = json!({"audit_id": format!("aud_{n}"), "filler": filler});
                sink::deliver(&sink, &record).await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.unwrap();
        assert!(outcome.is_delivered(), "{outcome:?}");
    }

    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with('\n'));
    let ids: HashSet<String> = text
        .lines()
        .map(|line| {
            let record: Value = serde_json::from_str(line).expect("every line is whole JSON");
            assert_eq!(record["filler"].as_str().unwrap().len(), filler.len());
            record["audit_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(text.lines().count(), 32);
    assert_eq!(ids, (0..32).map(|n| format!("aud_{n}")).collect());
}

#[tokio::test]
async fn json_lines_appends_compact_records_to_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    std::fs::write(&path, "{\"earlier\":true}\n").unwrap();
    let sink = JsonLinesSink::new(&path).with_name("audit-log");

    let outcome = sink::deliver(&sink, &json!({"a": [1, 2], "b": "two words"})).await;

    assert_eq!(outcome.sink, "audit-log");
    assert!(outcome.is_delivered());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "{\"earlier\":true}\n{\"a\":[1,2],\"b\":\"two words\"}\n"
    );
}

#[tokio::test]
async fn json_lines_failure_is_an_io_error_and_the_record_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let sink = JsonLinesSink::new(dir.path().join("missing/audit.jsonl"));
    let item = json!({"audit_id": "aud_1"});

    let error = Sink::<Value>::deliver(&sink, &item).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Io);
    let outcome = sink::deliver(&sink, &item).await;

    assert_eq!(outcome.status, SinkStatus::Failed);
    assert!(
        outcome
            .error
            .as_deref()
            .unwrap()
            .contains("missing/audit.jsonl")
    );
    assert_eq!(
        outcome.undelivered.as_deref(),
        Some(&b"{\"audit_id\":\"aud_1\"}"[..])
    );
}

// ---------------------------------------------------------------------------------------------
// Memory, tracing, and one sink for two item types

#[tokio::test]
async fn memory_sink_keeps_items_in_order_and_its_clones_share_them() {
    let kept = MemorySink::<Value>::new().with_name("kept");
    let as_dyn: Arc<dyn Sink<Value>> = Arc::new(kept.clone());
    for n in 0..3 {
        let outcome = sink::deliver(as_dyn.as_ref(), &json!({"n": n})).await;
        assert_eq!(outcome.sink, "kept");
    }
    assert_eq!(kept.len(), 3);
    assert_eq!(kept.last(), Some(json!({"n": 2})));
    assert_eq!(
        kept.take(),
        vec![json!({"n": 0}), json!({"n": 1}), json!({"n": 2})]
    );
    assert!(kept.is_empty());
}

#[derive(serde::Serialize)]
struct AuditLike {
    audit_id: &'static str,
}

#[tokio::test]
async fn one_sink_value_serves_reports_and_audit_records() {
    let dir = tempfile::tempdir().unwrap();
    let shared = Arc::new(JsonLinesSink::new(dir.path().join("all.jsonl")));
    let reports: Arc<dyn Sink<Value>> = shared.clone();
    let audits: Arc<dyn Sink<AuditLike>> = shared;

    assert!(
        sink::deliver(reports.as_ref(), &report())
            .await
            .is_delivered()
    );
    assert!(
        sink::deliver(audits.as_ref(), &AuditLike { audit_id: "aud_9" })
            .await
            .is_delivered()
    );

    let text = std::fs::read_to_string(dir.path().join("all.jsonl")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0], report());
    assert_eq!(lines[1], json!({"audit_id": "aud_9"}));
}

#[tokio::test]
async fn tracing_sink_logs_size_and_summary_at_info() {
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);
    impl Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let item = json!({"evaluation_id": "ev_1", "data": [1, 2, 3]});
    let outcome = sink::deliver(&TracingSink::new(), &item).await;

    assert!(outcome.is_delivered());
    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    let line = logged
        .lines()
        .find(|l| l.contains("item received"))
        .unwrap_or_else(|| panic!("no log line: {logged}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(
        line.contains(&format!("bytes={}", item.to_string().len())),
        "{line}"
    );
    assert!(line.contains("data=[3 items]"), "{line}");
    assert!(line.contains(r#"evaluation_id="ev_1""#), "{line}");
}

trait NowUnix {
    fn now_unix(&self) -> i64;
}

impl NowUnix for ManualClock {
    fn now_unix(&self) -> i64 {
        let now: DateTime<Utc> = genesys_routing_eval::time::Clock::now(self);
        now.timestamp()
    }
}
