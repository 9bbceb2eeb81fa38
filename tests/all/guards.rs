//! An evaluation's guards, over the emulator on loopback: emulator data kept from sinks that
//! leave the process, the job budget and a window in the future refused before any request,
//! the run's deadline, and retries reported as progress with the server's wait.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use genesys_routing_eval::evaluation::{Evaluation, EvaluationBuilder, REQUESTS_PER_JOB};
use genesys_routing_eval::progress::ProgressEvent;
use genesys_routing_eval::sink::{JsonLinesSink, MemorySink, WebhookSink};
use genesys_routing_eval::time::{FixedJitter, ManualClock, TimeSource};
use genesys_routing_eval::{Client, DataOrigin, ErrorKind, ValidationError};
use routing_eval_emulator::{Emulator, Endpoint, Fault};

use crate::support::{client_builder, run_evaluation, slow_emulator};

fn day(d: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::days(d)
}

async fn emulator() -> Emulator {
    slow_emulator(Duration::ZERO).await
}

/// A client for `emu` as a real organisation, on a manual clock reading `now`.
fn genesys_client(emu: &Emulator, now: DateTime<Utc>) -> Client {
    client_builder(emu, ManualClock::new(now).time_source(FixedJitter(1.0)))
        .build()
        .unwrap()
}

fn week(client: Client) -> EvaluationBuilder {
    Evaluation::builder().client(client).between(day(0), day(7))
}

fn refused(builder: EvaluationBuilder) -> Vec<ValidationError> {
    let err = builder.build().expect_err("build must refuse");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    err.validation().to_vec()
}

#[tokio::test]
async fn emulator_data_is_refused_by_webhook_and_file_sinks_unless_allowed() {
    let emu = emulator().await;
    let client = emu.client_builder().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let webhook = || {
        WebhookSink::builder("https://bi.example.com/hooks")
            .build()
            .unwrap()
    };
    let audit = || JsonLinesSink::new(dir.path().join("audit.jsonl")).with_name("audit-log");

    let problems = refused(week(client.clone()).webhook(webhook()).audit_sink(audit()));

    assert_eq!(
        problems,
        vec![ValidationError::EmulatorData {
            sinks: "webhook, audit-log".into()
        }]
    );
    assert_eq!(emu.stats().requests, 0, "refused before any request");
    let allowed = week(client.clone())
        .webhook(webhook())
        .audit_sink(audit())
        .allow_emulator_data(true)
        .build()
        .unwrap();
    assert_eq!(allowed.data_origin(), DataOrigin::Emulator);
}

#[tokio::test]
async fn emulator_data_reaches_memory_sinks_and_every_report_and_record_says_emulator() {
    let emu = emulator().await;
    let reports = MemorySink::new();
    let records = MemorySink::new();

    let outcome = run_evaluation(
        week(emu.client_builder().build().unwrap())
            .report_sink(reports.clone())
            .audit_sink(records.clone()),
    )
    .await;

    assert_eq!(outcome.report.data_origin, DataOrigin::Emulator);
    assert_eq!(outcome.audit.data_origin, DataOrigin::Emulator);
    let body = serde_json::to_value(reports.last().unwrap()).unwrap();
    assert_eq!(body["dataOrigin"], "emulator");
    let record = serde_json::to_value(records.last().unwrap()).unwrap();
    assert_eq!(record["dataOrigin"], "emulator");
}

#[tokio::test]
async fn a_window_over_the_job_budget_is_refused_before_any_request_and_max_jobs_allows_it() {
    let emu = emulator().await;
    let client = genesys_client(&emu, day(400));
    let long = || {
        Evaluation::builder()
            .client(client.clone())
            .between(day(0), day(95))
    };

    let problems = refused(long().max_jobs(3));

    assert_eq!(
        problems,
        vec![ValidationError::OverBudget {
            jobs: 4,
            requests: 1 + 4 * REQUESTS_PER_JOB,
            max_jobs: 3,
        }]
    );
    assert_eq!(emu.stats().requests, 0);
    let evaluation = long().max_jobs(4).build().unwrap();
    assert_eq!(evaluation.estimate().unwrap().jobs, 4);
    evaluation.run().await.unwrap();
    assert_eq!(emu.stats().submissions, 4);
}

#[tokio::test]
async fn a_window_ending_after_the_clock_is_refused_at_build_and_again_at_run() {
    let emu = emulator().await;
    // The injected clock, not the wall clock, decides what "the future" is.
    let clock = ManualClock::new(day(3));
    let client = client_builder(&emu, TimeSource::default())
        .time_source(clock.time_source(FixedJitter(1.0)))
        .build()
        .unwrap();

    let problems = refused(week(client.clone()));
    assert!(
        matches!(&problems[..], [ValidationError::WindowInFuture { to, .. }] if to == "2026-03-08T00:00:00Z"),
        "{problems:?}"
    );

    let evaluation = Evaluation::builder()
        .client(client)
        .between(day(0), day(3))
        .build()
        .unwrap();
    clock.advance(Duration::from_secs(1));
    evaluation.run().await.unwrap();
    let until_now = Evaluation::builder()
        .client(genesys_client(&emu, day(1)))
        .between(day(0), day(1))
        .build()
        .unwrap();
    assert!(
        until_now.run().await.is_ok(),
        "a window ending now is complete"
    );
}

#[tokio::test]
async fn the_deadline_cancels_the_running_job_and_fails_with_a_timeout() {
    let emu = slow_emulator(Duration::from_secs(600)).await;
    // The system clock: the deadline waits on the client's sleeper for real.
    let client = client_builder(&emu, TimeSource::default()).build().unwrap();
    let cancelled = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&cancelled);

    let err = Evaluation::builder()
        .client(client)
        .between(day(0), day(7))
        .deadline(Duration::from_millis(600))
        .on_progress(move |e| {
            if let ProgressEvent::JobCancelled { job_id } = e {
                seen.lock().unwrap().push(job_id.clone());
            }
        })
        .build()
        .unwrap()
        .run()
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("deadline of 600ms"), "{err}");
    for _ in 0..100 {
        if !emu.stats().deleted_jobs.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.stats().submissions, 1);
    assert_eq!(
        emu.stats().deleted_jobs.len(),
        1,
        "the job is cancelled on the server"
    );
}

#[tokio::test]
async fn each_retry_is_a_progress_event_with_the_servers_wait_and_reason() {
    let emu = Emulator::builder()
        .job_latency(Duration::ZERO)
        .fault(
            Endpoint::SubmitJob,
            Fault::RateLimited {
                retry_after_secs: 7,
            },
            2,
        )
        .start()
        .await
        .unwrap();
    let retries = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&retries);

    week(genesys_client(&emu, Utc::now().with_nanosecond(0).unwrap()))
        .on_progress(move |e| {
            if let ProgressEvent::Retrying {
                request,
                attempt,
                wait,
                reason,
            } = e
            {
                seen.lock()
                    .unwrap()
                    .push((request.clone(), *attempt, *wait, reason.clone()));
            }
        })
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();

    let retries = retries.lock().unwrap();
    let expected: Vec<_> = (1..=2)
        .map(|attempt| {
            (
                "POST /api/v2/analytics/conversations/aggregates/jobs".to_owned(),
                attempt,
                Duration::from_secs(7),
                "http 429, retry-after from the server".to_owned(),
            )
        })
        .collect();
    assert_eq!(*retries, expected);
}

#[test]
fn granularity_and_group_by_genesys_refuses_are_build_errors() {
    let client = Client::builder()
        .api_base("http://127.0.0.1:9")
        .credentials("id", "secret")
        .build()
        .unwrap();

    let problems = refused(week(client).granularity("PT20M").group_by("usedrouting"));

    assert!(
        matches!(&problems[0], ValidationError::Invalid { name, reason }
            if name == "granularity" && reason.contains("multiple of PT15M")),
        "{problems:?}"
    );
    assert!(
        matches!(&problems[1], ValidationError::UnsupportedGroupBy { value, supported, .. }
            if value == "usedrouting" && supported.contains("`usedRouting`")),
        "{problems:?}"
    );
}
