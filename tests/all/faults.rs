//! Fault injection, table-driven: each scenario runs a whole evaluation against a fresh
//! emulator with scripted faults and delivers the report to a local webhook receiver with a
//! script of its own, then checks the outcome the table states. Client and webhook each read
//! a `ManualClock`, so retry and poll waits are recorded, never slept, and asserted exactly.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use bytes::Bytes;
use chrono::{Timelike, Utc};
use genesys_routing_eval::config::{PollPolicy, Timeouts};
use genesys_routing_eval::evaluation::{Evaluation, Outcome, SourceKind, WebhookSyncStatus};
use genesys_routing_eval::sink::{SinkOutcome, SinkStatus};
use genesys_routing_eval::time::{FixedJitter, ManualClock};
use genesys_routing_eval::{Client, Error, ErrorKind};
use routing_eval_emulator::{Emulator, EmulatorStats, Endpoint, Fault};

use crate::support::{Receiver, Reply, reply, webhook};

// ---------------------------------------------------------------------------------------------
// The table's vocabulary

/// What a scenario sets up.
#[derive(Clone)]
struct Setup {
    faults: Vec<(Endpoint, Fault, usize)>,
    source: SourceKind,
    job_latency: Duration,
    poll_deadline: Option<Duration>,
    request_timeout: Option<Duration>,
    replies: Vec<Reply>,
    webhook_attempts: u32,
    webhook_timeout: Duration,
    dead_letter_writable: bool,
    /// The emulator's job page size, when not its default.
    page_size: Option<usize>,
}

fn setup() -> Setup {
    Setup {
        faults: Vec::new(),
        source: SourceKind::Aggregates,
        job_latency: Duration::ZERO,
        poll_deadline: None,
        request_timeout: None,
        replies: Vec::new(),
        webhook_attempts: 4,
        webhook_timeout: Duration::from_secs(5),
        dead_letter_writable: true,
        page_size: None,
    }
}

impl Setup {
    fn fault(mut self, endpoint: Endpoint, fault: Fault, times: usize) -> Self {
        self.faults.push((endpoint, fault, times));
        self
    }
    fn strategies_source(mut self) -> Self {
        self.source = SourceKind::Strategies;
        self
    }
    fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }
    fn webhook_replies(mut self, replies: &[Reply]) -> Self {
        self.replies = replies.to_vec();
        self
    }
    fn webhook_attempts(mut self, attempts: u32) -> Self {
        self.webhook_attempts = attempts;
        self
    }
    fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = Some(page_size);
        self
    }
}

/// What the webhook delivery must have come to.
#[derive(Debug, Clone, Copy)]
enum Hook {
    Delivered,
    /// Failed and written to the dead-letter directory; the message says this.
    DeadLettered(&'static str),
    /// Failed, the dead-letter file could not be written, the payload is in the outcome.
    KeptInOutcome,
}

/// The outcome a scenario must have.
#[derive(Debug, Clone)]
enum Expect {
    /// The evaluation succeeds. `client_waits` are the client's waits in seconds (job polls
    /// included), `webhook_waits` the webhook's.
    Succeeds {
        client_waits: Vec<f64>,
        token_requests: u64,
        hook: Hook,
        webhook_attempts: u32,
        webhook_waits: Vec<f64>,
    },
    /// The evaluation fails with `kind`, its message containing `says`; `json_path` is the
    /// path the error must name (`Some("")`: any path).
    Fails {
        kind: ErrorKind,
        says: &'static str,
        json_path: Option<&'static str>,
        submissions: Option<u64>,
    },
}

fn ok(client_waits: &[f64]) -> Expect {
    Expect::Succeeds {
        client_waits: client_waits.to_vec(),
        token_requests: 1,
        hook: Hook::Delivered,
        webhook_attempts: 1,
        webhook_waits: Vec::new(),
    }
}

fn fails(kind: ErrorKind, says: &'static str) -> Expect {
    Expect::Fails {
        kind,
        says,
        json_path: None,
        submissions: None,
    }
}

fn decode_fails(json_path: &'static str) -> Expect {
    Expect::Fails {
        kind: ErrorKind::Decode,
        says: "could not decode",
        json_path: Some(json_path),
        submissions: None,
    }
}

fn hook(attempts: u32, waits: &[f64], hook: Hook) -> Expect {
    Expect::Succeeds {
        client_waits: vec![0.5],
        token_requests: 1,
        hook,
        webhook_attempts: attempts,
        webhook_waits: waits.to_vec(),
    }
}

struct Scenario {
    name: &'static str,
    setup: Setup,
    expect: Expect,
}

fn scenario(name: &'static str, setup: Setup, expect: Expect) -> Scenario {
    Scenario {
        name,
        setup,
        expect,
    }
}

/// Every scenario. Client waits: the first job poll comes after 0.5 s; retries back off from
/// 0.5 s doubling (jitter fixed at the ceiling) unless `Retry-After` says otherwise. Webhook
/// waits: full jitter fixed at half of 1 s doubling.
fn table() -> Vec<Scenario> {
    use Endpoint::*;
    // Generous against a loaded machine: only the slow answer may pass the timeout.
    // The request timeout bounds every request of the run, results pages too, so it leaves
    // room for a loaded machine; the slow answer is well past it.
    let slow = Fault::Slow(Duration::from_secs(10));
    let quick = Duration::from_secs(3);
    vec![
        scenario("no fault", setup(), ok(&[0.5])),
        scenario(
            "429 storm on job status (Retry-After 7) is waited out",
            setup().fault(
                JobStatus,
                Fault::RateLimited {
                    retry_after_secs: 7,
                },
                3,
            ),
            ok(&[0.5, 7.0, 7.0, 7.0]),
        ),
        scenario(
            "429 on submission (Retry-After 3) is retried: the job was not created",
            setup().fault(
                SubmitJob,
                Fault::RateLimited {
                    retry_after_secs: 3,
                },
                2,
            ),
            ok(&[3.0, 3.0, 0.5]),
        ),
        scenario(
            "429 storm on the token request is waited out",
            setup().fault(
                Token,
                Fault::RateLimited {
                    retry_after_secs: 2,
                },
                2,
            ),
            Expect::Succeeds {
                client_waits: vec![2.0, 2.0, 0.5],
                token_requests: 3,
                hook: Hook::Delivered,
                webhook_attempts: 1,
                webhook_waits: Vec::new(),
            },
        ),
        scenario(
            "429 storm longer than the retry budget fails rate limited",
            setup().fault(
                JobStatus,
                Fault::RateLimited {
                    retry_after_secs: 1,
                },
                5,
            ),
            fails(ErrorKind::RateLimited, "rate limit"),
        ),
        scenario(
            "503 burst on job status backs off 0.5 s, 1 s",
            setup().fault(JobStatus, Fault::Status(503), 2),
            ok(&[0.5, 0.5, 1.0]),
        ),
        scenario(
            "504 burst on results pages backs off 0.5 s, 1 s, 2 s",
            setup().fault(JobResults, Fault::Status(504), 3),
            ok(&[0.5, 0.5, 1.0, 2.0]),
        ),
        scenario(
            "502 then 408 on job status are retried",
            setup()
                .fault(JobStatus, Fault::Status(502), 1)
                .fault(JobStatus, Fault::Status(408), 1),
            ok(&[0.5, 0.5, 1.0]),
        ),
        scenario(
            "503 on submission is retried",
            setup().fault(SubmitJob, Fault::Status(503), 1),
            ok(&[0.5, 0.5]),
        ),
        scenario(
            "502 on submission is not retried: the server may have created the job",
            setup().fault(SubmitJob, Fault::Status(502), 1),
            Expect::Fails {
                kind: ErrorKind::Server,
                says: "server failed",
                json_path: None,
                submissions: Some(1),
            },
        ),
        scenario(
            "503 burst past the retry budget fails as a server error",
            setup().fault(JobStatus, Fault::Status(503), 5),
            fails(ErrorKind::Server, "server failed"),
        ),
        scenario(
            "truncated results page is a decode error with a path",
            setup().fault(JobResults, Fault::Truncated, 1),
            decode_fails(""),
        ),
        scenario(
            "truncated job status is a decode error with a path",
            setup().fault(JobStatus, Fault::Truncated, 1),
            decode_fails(""),
        ),
        scenario(
            "truncated token response is a decode error with a path",
            setup().fault(Token, Fault::Truncated, 1),
            decode_fails(""),
        ),
        scenario(
            "malformed results page names `results`",
            // One page, so no `cursor` (misshaped too, and first in the body) comes before it:
            // the groups are split by mediaType, more than the default page holds.
            setup()
                .page_size(1000)
                .fault(JobResults, Fault::Malformed, 1),
            decode_fails("results"),
        ),
        scenario(
            "malformed token response names `access_token`",
            setup().fault(Token, Fault::Malformed, 1),
            decode_fails("access_token"),
        ),
        scenario(
            "malformed job submission answer names `jobId`",
            setup().fault(SubmitJob, Fault::Malformed, 1),
            decode_fails("jobId"),
        ),
        scenario(
            "malformed strategies page names its first bad field, `cursor`",
            setup()
                .strategies_source()
                .fault(StrategiesResults, Fault::Malformed, 1),
            decode_fails("cursor"),
        ),
        scenario(
            "401 mid-run renews the token once and succeeds",
            setup().fault(JobStatus, Fault::RevokeToken, 1),
            Expect::Succeeds {
                client_waits: vec![0.5],
                token_requests: 2,
                hook: Hook::Delivered,
                webhook_attempts: 1,
                webhook_waits: Vec::new(),
            },
        ),
        scenario(
            "401 again after renewing fails as auth",
            setup().fault(JobStatus, Fault::RevokeToken, 2),
            fails(ErrorKind::Auth, "freshly issued token"),
        ),
        scenario(
            "FAILED job is a job error with the server's message",
            setup().fault(
                SubmitJob,
                Fault::JobFailed {
                    message: "query exceeded the analytics limits".into(),
                },
                1,
            ),
            fails(
                ErrorKind::Job,
                "ended FAILED: query exceeded the analytics limits",
            ),
        ),
        scenario(
            "EXPIRED job is a job error",
            setup().fault(SubmitJob, Fault::JobExpired, 1),
            fails(ErrorKind::Job, "ended EXPIRED"),
        ),
        scenario(
            "failed facade job is a job error with its failure reason",
            setup().strategies_source().fault(
                StrategiesSubmit,
                Fault::JobFailed {
                    message: "facade overloaded".into(),
                },
                1,
            ),
            fails(ErrorKind::Job, "failed: facade overloaded"),
        ),
        scenario(
            "slow job status past the timeout once is retried",
            setup()
                .request_timeout(quick)
                .fault(JobStatus, slow.clone(), 1),
            ok(&[0.5, 0.5]),
        ),
        scenario(
            "slow job status past the timeout on every attempt is a timeout",
            setup()
                .request_timeout(quick)
                .fault(JobStatus, slow.clone(), 5),
            fails(ErrorKind::Timeout, "timed out"),
        ),
        scenario(
            "slow submission past the timeout is a timeout, not retried",
            setup().request_timeout(quick).fault(SubmitJob, slow, 1),
            Expect::Fails {
                kind: ErrorKind::Timeout,
                says: "timed out",
                json_path: None,
                submissions: Some(1),
            },
        ),
        scenario(
            "job still running at the poll deadline is a timeout",
            Setup {
                job_latency: Duration::from_secs(3600),
                poll_deadline: Some(Duration::from_secs(5)),
                ..setup()
            },
            fails(ErrorKind::Timeout, "did not finish within"),
        ),
        scenario(
            "webhook 503 then 200 is delivered after one wait",
            setup().webhook_replies(&[reply(503)]),
            hook(2, &[0.5], Hook::Delivered),
        ),
        scenario(
            "webhook 429 with Retry-After 3 waits 3 s",
            setup().webhook_replies(&[reply(429).header("retry-after", "3")]),
            hook(2, &[3.0], Hook::Delivered),
        ),
        scenario(
            "webhook 500 on every attempt is retried then dead-lettered",
            setup().webhook_replies(&[reply(500); 4]),
            hook(
                4,
                &[0.5, 1.0, 2.0],
                Hook::DeadLettered("endpoint answered 500"),
            ),
        ),
        scenario(
            "webhook 410 is not retried and is dead-lettered",
            setup().webhook_replies(&[reply(410)]),
            hook(1, &[], Hook::DeadLettered("410 gone")),
        ),
        scenario(
            "webhook timing out on every attempt is dead-lettered",
            // A timeout with room for a loaded machine: the receiver must have read each
            // attempt's body before the client gives up on it, or the post goes unseen.
            Setup {
                webhook_timeout: Duration::from_secs(1),
                ..setup()
                    .webhook_attempts(2)
                    .webhook_replies(&[reply(200).after(Duration::from_secs(5)); 2])
            },
            hook(2, &[0.5], Hook::DeadLettered("no answer within 1 s")),
        ),
        scenario(
            "webhook failing with the dead-letter directory not writable keeps the payload",
            Setup {
                dead_letter_writable: false,
                ..setup().webhook_attempts(1).webhook_replies(&[reply(500)])
            },
            hook(1, &[], Hook::KeptInOutcome),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Running a scenario

struct Run {
    result: Result<Outcome, Error>,
    client_waits: Vec<Duration>,
    webhook_waits: Vec<Duration>,
    stats: EmulatorStats,
    bodies: Vec<Bytes>,
    dead_letter_dir: PathBuf,
    _scratch: tempfile::TempDir,
}

async fn run(setup: &Setup) -> Run {
    let mut builder = Emulator::builder().job_latency(setup.job_latency);
    if let Some(size) = setup.page_size {
        builder = builder.page_size(size);
    }
    for (endpoint, fault, times) in &setup.faults {
        builder = builder.fault(*endpoint, fault.clone(), *times);
    }
    let emulator = builder.start().await.unwrap();
    let receiver = Receiver::start(setup.replies.iter().copied()).await;
    let start = Utc::now().with_nanosecond(0).unwrap();
    let client_clock = ManualClock::new(start);
    let webhook_clock = ManualClock::new(start);
    let mut poll = PollPolicy::default();
    if let Some(deadline) = setup.poll_deadline {
        poll = poll.with_deadline(deadline);
    }
    let mut client = Client::builder()
        .api_base(emulator.base_url().as_str())
        .credentials(emulator.client_id(), emulator.client_secret().to_owned())
        .time_source(client_clock.time_source(FixedJitter(1.0)))
        .poll_policy(poll);
    if let Some(timeout) = setup.request_timeout {
        client = client.timeouts(Timeouts::new(Duration::from_secs(5), timeout));
    }
    let scratch = tempfile::tempdir().unwrap();
    let dead_letter_dir = scratch.path().join("dead-letter");
    let webhook = webhook(&receiver.url(), &webhook_clock)
        .max_attempts(setup.webhook_attempts)
        .timeout(setup.webhook_timeout)
        .dead_letter_dir(&dead_letter_dir)
        .build()
        .unwrap();
    if !setup.dead_letter_writable {
        // The directory goes after the build checked it: a regular file takes its place, and
        // nothing can be written beneath a file, even by root.
        std::fs::remove_dir(&dead_letter_dir).unwrap();
        std::fs::write(&dead_letter_dir, b"").unwrap();
    }
    let mut evaluation = Evaluation::builder()
        .client(client.build().unwrap())
        .source(setup.source)
        .last_days(7)
        // The scenarios are about faults: one results page per job, as without cells.
        .without_comparison()
        .webhook(webhook);
    if setup.source == SourceKind::Strategies {
        evaluation = evaluation.strategies(["Bullseye", "Standard", "Predictive"]);
    }
    let result = evaluation.build().unwrap().run().await;
    let bodies = receiver.requests().into_iter().map(|r| r.body).collect();
    Run {
        result,
        client_waits: client_clock.sleeps(),
        webhook_waits: webhook_clock.sleeps(),
        stats: emulator.stats(),
        bodies,
        dead_letter_dir,
        _scratch: scratch,
    }
}

fn secs(list: &[f64]) -> Vec<Duration> {
    list.iter().map(|s| Duration::from_secs_f64(*s)).collect()
}

/// Checks `run` against `expect`; returns the observed outcome for the table, or what differs.
fn check(run: &Run, expect: &Expect) -> Result<String, String> {
    match (expect, &run.result) {
        (
            Expect::Succeeds {
                client_waits,
                token_requests,
                hook,
                webhook_attempts,
                webhook_waits,
            },
            Ok(outcome),
        ) => {
            ensure(run.client_waits == secs(client_waits), || {
                format!("client waited {:?}", run.client_waits)
            })?;
            ensure(run.stats.token_requests == *token_requests, || {
                format!("{} token requests", run.stats.token_requests)
            })?;
            ensure(run.webhook_waits == secs(webhook_waits), || {
                format!("webhook waited {:?}", run.webhook_waits)
            })?;
            let sink = &outcome.audit.sink_outcomes[0];
            ensure(sink.attempts == *webhook_attempts, || {
                format!("webhook made {} attempts", sink.attempts)
            })?;
            ensure(run.bodies.len() as u32 == *webhook_attempts, || {
                format!("receiver saw {} posts", run.bodies.len())
            })?;
            check_hook(run, outcome, sink, *hook)?;
            Ok(format!(
                "ok; client waits {:?} s; {} token request(s); webhook {} after {} attempt(s){}",
                client_waits,
                token_requests,
                match hook {
                    Hook::Delivered => "delivered",
                    Hook::DeadLettered(_) => "dead-lettered",
                    Hook::KeptInOutcome => "failed, payload kept in outcome",
                },
                webhook_attempts,
                if webhook_waits.is_empty() {
                    String::new()
                } else {
                    format!(", waits {webhook_waits:?} s")
                }
            ))
        }
        (
            Expect::Fails {
                kind,
                says,
                json_path,
                submissions,
            },
            Err(error),
        ) => {
            ensure(error.kind() == *kind, || {
                format!("failed as {:?}: {error}", error.kind())
            })?;
            ensure(error.to_string().contains(says), || {
                format!("message lacks `{says}`: {error}")
            })?;
            match (json_path, error.json_path()) {
                (None, _) => {}
                (Some(""), Some(_)) => {}
                (Some(want), Some(got)) if got == *want => {}
                (Some(want), got) => return Err(format!("json path {got:?}, want {want:?}")),
            }
            if let Some(want) = submissions {
                ensure(run.stats.submissions == *want, || {
                    format!("{} submissions", run.stats.submissions)
                })?;
            }
            ensure(run.bodies.is_empty(), || "the webhook was called".into())?;
            Ok(format!(
                "{kind:?} error{}{}",
                error
                    .json_path()
                    .map(|p| format!(" at `{p}`"))
                    .unwrap_or_default(),
                submissions
                    .map(|n| format!("; {n} submission(s)"))
                    .unwrap_or_default()
            ))
        }
        (_, Ok(_)) => Err("succeeded".into()),
        (_, Err(error)) => Err(format!("failed: {error}")),
    }
}

fn check_hook(run: &Run, outcome: &Outcome, sink: &SinkOutcome, hook: Hook) -> Result<(), String> {
    let posted = run.bodies.last().cloned().unwrap_or_default();
    match hook {
        Hook::Delivered => {
            ensure(sink.status == SinkStatus::Delivered, || {
                format!("webhook {:?}: {:?}", sink.status, sink.error)
            })?;
            ensure(
                outcome.audit.webhook_sync_status == WebhookSyncStatus::Success,
                || "audit says the webhook failed".into(),
            )
        }
        Hook::DeadLettered(says) => {
            ensure(
                sink.status == SinkStatus::Failed && outcome.sinks_failed(),
                || "webhook did not fail".into(),
            )?;
            ensure(
                outcome.audit.webhook_sync_status == WebhookSyncStatus::Failed,
                || "audit says the webhook succeeded".into(),
            )?;
            let error = sink.error.as_deref().unwrap_or_default();
            ensure(error.contains(says), || {
                format!("error lacks `{says}`: {error}")
            })?;
            let file = sink.dead_letter.as_ref().ok_or("no dead-letter file")?;
            ensure(file.starts_with(&run.dead_letter_dir), || {
                format!("dead letter at {}", file.display())
            })?;
            let written = std::fs::read(file).map_err(|e| e.to_string())?;
            ensure(written == posted, || {
                "dead-letter file differs from the posted body".into()
            })
        }
        Hook::KeptInOutcome => {
            ensure(sink.status == SinkStatus::Failed, || {
                "webhook did not fail".into()
            })?;
            let why = sink.dead_letter_error.as_deref().unwrap_or_default();
            ensure(why.contains("writable"), || {
                format!("dead-letter error says {why:?}")
            })?;
            ensure(sink.undelivered.as_deref() == Some(&posted[..]), || {
                "payload not kept".into()
            })
        }
    }
}

fn ensure(ok: bool, problem: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(problem()) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_scenario_has_its_expected_outcome() {
    let table = table();
    let runs = futures_util::future::join_all(table.iter().map(|s| run(&s.setup))).await;
    let mut lines = Vec::new();
    let mut failures = Vec::new();
    for (scenario, run) in table.iter().zip(&runs) {
        match check(run, &scenario.expect) {
            Ok(observed) => lines.push(format!("| {} | {observed} |", scenario.name)),
            Err(problem) => {
                lines.push(format!("| {} | UNEXPECTED: {problem} |", scenario.name));
                failures.push(scenario.name);
            }
        }
    }
    println!("| scenario | outcome |\n|---|---|");
    for line in &lines {
        println!("{line}");
    }
    println!("fault scenarios run: {}", runs.len());
    assert_eq!(runs.len(), table.len());
    assert!(table.len() >= 30, "the table lost scenarios");
    assert!(
        failures.is_empty(),
        "unexpected outcomes: {failures:?}\n{}",
        lines.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Faults that are attacks: what must not leave the client.

/// Serves a token, then answers every API call with a redirect to `target`, recording the
/// `Authorization` headers it sees at `target` (the attacker's host).
async fn redirecting_api(status: StatusCode) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let attacker = {
        let seen = Arc::clone(&seen);
        axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
            let seen = Arc::clone(&seen);
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                seen.lock().unwrap().push(auth);
                axum::Json(serde_json::json!({"state": "FULFILLED"}))
            }
        })
    };
    let attacker_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let attacker_url = format!("http://{}/steal", attacker_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(attacker_listener, attacker).await.unwrap() });
    let api = axum::Router::new()
        .route(
            "/oauth/token",
            axum::routing::post(|| async {
                axum::Json(serde_json::json!({
                    "access_token": "bearer-that-must-stay-home", "token_type": "bearer", "expires_in": 3600
                }))
            }),
        )
        .fallback(move || {
            let location = attacker_url.clone();
            async move { (status, [("location", location)]).into_response() }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, api).await.unwrap() });
    (base, seen)
}

#[tokio::test]
async fn api_redirects_are_not_followed_so_the_bearer_token_never_reaches_another_host() {
    for status in [StatusCode::FOUND, StatusCode::TEMPORARY_REDIRECT] {
        let (base, seen_by_attacker) = redirecting_api(status).await;
        let client = Client::builder()
            .api_base(&base)
            .credentials("id", "secret")
            .time_source(ManualClock::new(Utc::now()).time_source(FixedJitter(1.0)))
            .build()
            .unwrap();

        let error = client.aggregates().status("job-1").await.unwrap_err();

        assert_eq!(error.status(), Some(status.as_u16()), "{error}");
        assert!(seen_by_attacker.lock().unwrap().is_empty(), "{status}");
        assert!(!format!("{error} {error:?}").contains("bearer-that-must-stay-home"));
    }
}

#[tokio::test]
async fn https_to_a_plain_http_server_fails_the_handshake_instead_of_downgrading() {
    let emulator = Emulator::start().await.unwrap();
    let plain = emulator.base_url().as_str().replace("http://", "https://");
    let client = Client::builder()
        .api_base(&plain)
        .credentials(emulator.client_id(), emulator.client_secret().to_owned())
        .time_source(ManualClock::new(Utc::now()).time_source(FixedJitter(1.0)))
        .retry_policy(genesys_routing_eval::config::RetryPolicy::none())
        .build()
        .unwrap();

    let error = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::Transport, "{error}");
    assert_eq!(
        emulator.stats().token_requests,
        0,
        "no plain request was made"
    );
}
