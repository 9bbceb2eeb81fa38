//! The evaluation pipeline end to end over real HTTP: the emulator for Genesys, a recording
//! axum receiver on 127.0.0.1 for the webhook, real files for the audit log and dead letters.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::sources::assert_counts_match;
use crate::support::{
    Receiver, client_builder, clock, closed_port_url, emulator, run_evaluation, webhook,
};
use axum::body::Bytes;
use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use genesys_routing_eval::evaluation::{
    AuditRecord, Evaluation, EvaluationBuilder, Outcome, SourceKind, StrategyReport,
    WebhookSyncStatus,
};
use genesys_routing_eval::metrics::{Kpi, RawCounts};
use genesys_routing_eval::progress::ProgressEvent;
use genesys_routing_eval::scoring::{Direction, KpiWeight, Preset, ScoringConfig};
use genesys_routing_eval::sink::{JsonLinesSink, MemorySink, SigningSecret};
use genesys_routing_eval::sources::aggregates::ROUTING_METRICS;
use genesys_routing_eval::time::{Clock, FixedJitter, ManualClock, TimeSource};
use genesys_routing_eval::{Client, ErrorKind, ValidationError};
use hmac::{Hmac, KeyInit, Mac};
use routing_eval_emulator::{Emulator, Endpoint, Fault};
use serde_json::Value;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::days(i64::from(d))
}

fn client_with(emu: &Emulator, time: TimeSource) -> Client {
    client_builder(emu, time).build().expect("client builds")
}

fn client(emu: &Emulator) -> Client {
    client_with(emu, clock().time_source(FixedJitter(1.0)))
}

/// A week in March 2026 on the emulator, every observed strategy.
fn week(emu: &Emulator) -> EvaluationBuilder {
    Evaluation::builder()
        .client(client(emu))
        .between(day(0), day(7))
}

/// Records every progress event; returns the builder and the events seen.
fn recording(builder: EvaluationBuilder) -> (EvaluationBuilder, Arc<Mutex<Vec<ProgressEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let builder = builder.on_progress(move |e| seen.lock().unwrap().push(e.clone()));
    (builder, events)
}

fn submitted_ids(events: &Mutex<Vec<ProgressEvent>>) -> Vec<String> {
    events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::JobSubmitted { job_id } => Some(job_id.clone()),
            _ => None,
        })
        .collect()
}

/// HMAC-SHA256 of `id.timestamp.body` with the key after `whsec_`, written from the Standard
/// Webhooks specification rather than through the crate's signer.
fn spec_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let key = engine
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", engine.encode(mac.finalize().into_bytes()))
}

const AUDIT_FIELDS: [&str; 21] = [
    "audit_id",
    "evaluation_id",
    "strategy_ids",
    "window",
    "source",
    "group_by",
    "scoring",
    "scores",
    "comparison",
    "dataOrigin",
    "execution_timestamp",
    "latency_seconds",
    "row_count",
    "data_completeness",
    "missing_strategies",
    "webhook_sync_status",
    "sink_outcomes",
    "job_ids",
    "query_fingerprint",
    "requests",
    "correlation_ids",
];

fn read_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "last line is whole: {text:?}");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn parse_time(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

// ---------------------------------------------------------------------------------------------
// Delivery and audit

#[tokio::test]
async fn clean_run_delivers_one_signed_payload_and_one_audit_line() {
    let emu = emulator(|b| b).await;
    let receiver = Receiver::answering(200).await;
    let dir = tempfile::tempdir().unwrap();
    let audit_path = dir.path().join("audit.jsonl");
    let webhook_clock = clock();
    let (builder, events) = recording(
        week(&emu)
            .strategies(["Bullseye", "Standard", "Predictive"])
            .webhook(
                webhook(&receiver.url(), &webhook_clock)
                    .secret(SECRET)
                    .build()
                    .unwrap(),
            )
            .audit_sink(JsonLinesSink::new(&audit_path).with_name("audit-log")),
    );

    let outcome = builder.build().unwrap().run().await.unwrap();

    assert!(!outcome.sinks_failed(), "{:?}", outcome.audit.sink_outcomes);
    let [posted] = receiver.requests().try_into().unwrap();
    let id = posted.header("webhook-id");
    let timestamp = posted.header("webhook-timestamp");
    let signature = posted.header("webhook-signature");
    assert_eq!(
        signature,
        spec_signature(SECRET, id, timestamp, &posted.body)
    );
    let secret = SigningSecret::parse(SECRET).unwrap();
    assert_eq!(
        signature,
        secret.sign(id, timestamp.parse().unwrap(), &posted.body)
    );
    assert_eq!(timestamp, webhook_clock.now().timestamp().to_string());

    let body: Value = serde_json::from_slice(&posted.body).unwrap();
    assert_eq!(body["evaluation_type"], "routing_strategy_performance");
    assert_eq!(body["source"], "aggregates");
    assert_eq!(parse_time(&body["window"]["from"]), day(0));
    assert_eq!(parse_time(&body["window"]["to"]), day(7));
    parse_time(&body["timestamp"]);
    let data = body["data"].as_array().unwrap();
    let ids: HashSet<&str> = data
        .iter()
        .map(|r| r["strategyId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from(["Bullseye", "Standard", "Predictive"]));
    let scored = data.iter().filter(|r| r["score"].is_number()).count();
    assert_eq!(body["record_count"], scored);
    assert_eq!(scored, 3);
    for record in data {
        for field in ["score", "percentile_rank", "coverage"] {
            assert!(record[field].is_number(), "{field} in {record}");
        }
        for kpi in Kpi::ALL {
            assert!(
                record.get(kpi.name()).is_some(),
                "{} missing in {record}",
                kpi.name()
            );
        }
        for kpi in ["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"] {
            assert!(record[kpi].is_number(), "{kpi} in {record}");
        }
    }

    let [line] = read_lines(&audit_path).try_into().unwrap();
    let keys: HashSet<&str> = line
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, HashSet::from(AUDIT_FIELDS));
    assert_eq!(line["evaluation_id"], body["evaluation_id"]);
    assert_eq!(
        line["dataOrigin"], "genesys",
        "a client built by hand means Genesys"
    );
    assert_eq!(body["dataOrigin"], "genesys");
    assert_eq!(line["webhook_sync_status"], "success");
    let issued = submitted_ids(&events);
    assert_eq!(issued.len(), 1);
    assert_eq!(line["job_ids"], serde_json::json!(issued));
    assert_eq!(body["job_ids"], serde_json::json!(issued));
    assert_eq!(line["row_count"], 3);
    assert_eq!(line["data_completeness"], 1.0);
    assert_eq!(
        line["strategy_ids"],
        serde_json::json!(["Bullseye", "Standard", "Predictive"])
    );
    assert_eq!(line["sink_outcomes"][0]["webhook_id"], id);
    assert_eq!(line["sink_outcomes"][0]["status"], "delivered");
    // What was evaluated and decided, readable from the record alone.
    assert_eq!(line["window"], body["window"]);
    assert_eq!(line["source"], "aggregates");
    assert_eq!(line["group_by"], "usedRouting");
    assert_eq!(line["scoring"], body["scoring"]);
    assert_eq!(line["scoring"]["preset"], "rates");
    let scores = line["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 3);
    for (position, entry) in scores.iter().enumerate() {
        assert_eq!(entry["rank"], position + 1, "{entry}");
        let record = data
            .iter()
            .find(|r| r["strategyId"] == entry["strategyId"])
            .unwrap();
        assert_eq!(entry["score"], record["score"]);
        assert_eq!(entry["rank"], record["rank"]);
    }
    let audit: AuditRecord = serde_json::from_value(line).unwrap();
    assert_eq!(audit, outcome.audit);
    assert_eq!(outcome.report.evaluation_id, audit.evaluation_id);
}

async fn assert_dead_lettered(url: &str, posted: impl Fn() -> Vec<Bytes>) {
    let emu = emulator(|b| b).await;
    let dir = tempfile::tempdir().unwrap();
    let webhook_clock = clock();
    let evaluation = week(&emu)
        .webhook(
            webhook(url, &webhook_clock)
                .dead_letter_dir(dir.path())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();

    let outcome: Outcome = evaluation.run().await.expect("a failing sink fails no run");

    assert!(outcome.sinks_failed());
    assert_eq!(outcome.audit.webhook_sync_status, WebhookSyncStatus::Failed);
    assert!(!outcome.report.results.is_empty(), "the report is returned");
    let [sink] = outcome.audit.sink_outcomes.clone().try_into().unwrap();
    assert_eq!(sink.attempts, 4);
    let webhook_id = sink.webhook_id.clone().unwrap();
    let expected = dir.path().join(format!("{webhook_id}.json"));
    assert_eq!(sink.dead_letter.as_deref(), Some(expected.as_path()));
    let written = std::fs::read(&expected).unwrap();
    assert_eq!(written, serde_json::to_vec(&outcome.report).unwrap());
    for body in posted() {
        assert_eq!(
            &body[..],
            &written[..],
            "the file holds exactly the posted body"
        );
    }
    assert_eq!(
        webhook_clock.sleeps().len(),
        3,
        "retries waited on the manual clock"
    );
}

#[tokio::test]
async fn webhook_answering_500_is_dead_lettered_and_audited_as_failed() {
    let receiver = Receiver::answering(500).await;
    let inbox = receiver.clone();
    assert_dead_lettered(&receiver.url(), move || {
        let seen = inbox.requests();
        assert_eq!(seen.len(), 4);
        let ids: HashSet<String> = seen.iter().map(|p| p.header("webhook-id").into()).collect();
        assert_eq!(ids.len(), 1, "one webhook-id on every retry");
        seen.into_iter().map(|p| p.body).collect()
    })
    .await;
}

#[tokio::test]
async fn webhook_with_nothing_listening_is_dead_lettered_and_audited_as_failed() {
    assert_dead_lettered(&closed_port_url().await, Vec::new).await;
}

// ---------------------------------------------------------------------------------------------
// Windows and jobs

fn totals(outcome: &Outcome, id: &str) -> RawCounts {
    outcome.report.table.strategy(id).unwrap().totals()
}

#[tokio::test]
async fn a_45_day_window_runs_two_jobs_and_matches_one_job_over_the_whole_window() {
    let (from, to) = (day(0), day(45));
    let split_emu = emulator(|b| b).await;
    // Every metric the table models, so that every count is compared.
    let all_metrics = || ROUTING_METRICS.iter().copied();
    let (builder, events) = recording(
        Evaluation::builder()
            .client(client(&split_emu))
            .between(from, to)
            .metrics(all_metrics()),
    );
    let split = builder.build().unwrap().run().await.unwrap();

    assert_eq!(split_emu.stats().submissions, 2);
    let issued = submitted_ids(&events);
    assert_eq!(issued.len(), 2);
    assert_ne!(issued[0], issued[1]);
    let mut job_ids = split.report.job_ids.clone();
    job_ids.sort();
    let mut sorted_issued = issued.clone();
    sorted_issued.sort();
    assert_eq!(job_ids, sorted_issued);
    assert_eq!(split.audit.job_ids, split.report.job_ids);

    let whole_emu = emulator(|b| b).await;
    let whole = run_evaluation(
        Evaluation::builder()
            .client(client(&whole_emu))
            .between(from, to)
            .metrics(all_metrics())
            .max_window_days(60),
    )
    .await;
    assert_eq!(whole_emu.stats().submissions, 1);
    assert_eq!(whole.report.job_ids.len(), 1);

    let expected = split_emu.expected_counts("usedRouting", from, to);
    let observed: HashSet<&str> = split
        .report
        .results
        .iter()
        .map(|r| r.strategy_id.as_str())
        .collect();
    let wanted: HashSet<&str> = expected.keys().flatten().map(String::as_str).collect();
    assert_eq!(observed, wanted);
    for id in wanted {
        let expected = &expected[&Some(id.to_owned())];
        assert_counts_match(&totals(&split, id), expected, &format!("split {id}"));
        assert_counts_match(&totals(&whole, id), expected, &format!("whole {id}"));
        let (a, b) = (
            &split.report.strategy(id).unwrap().kpis,
            &whole.report.strategy(id).unwrap().kpis,
        );
        for (kpi, value) in a.iter() {
            let other = b.get(kpi);
            match (value, other) {
                (Some(x), Some(y)) => assert!((x - y).abs() <= 1e-9 * y.abs().max(1.0)),
                _ => assert_eq!(value, other, "{id} {kpi}"),
            }
        }
        assert_eq!(
            split.report.strategy(id).unwrap().score,
            whole.report.strategy(id).unwrap().score,
            "{id} score"
        );
    }
    assert_counts_match(
        split.report.table.unattributed(),
        &expected[&None],
        "unattributed",
    );
}

#[tokio::test]
async fn a_failed_job_ends_the_run_with_the_servers_message() {
    let message = "query exceeded the maximum number of groups";
    let emu = emulator(|b| {
        b.fault(
            Endpoint::SubmitJob,
            Fault::JobFailed {
                message: message.into(),
            },
            1,
        )
    })
    .await;
    let memory = MemorySink::new();
    let err = week(&emu)
        .report_sink(memory.clone())
        .build()
        .unwrap()
        .run()
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Job, "{err}");
    assert!(err.to_string().contains(message), "{err}");
    assert!(
        memory.is_empty(),
        "no report is delivered for a failed query"
    );
}

#[tokio::test]
async fn dropping_the_run_mid_job_cancels_the_job() {
    let emu = emulator(|b| b.job_latency(Duration::from_secs(600))).await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let evaluation = Evaluation::builder()
        .client(client_with(&emu, TimeSource::default()))
        .between(day(0), day(7))
        .on_progress(move |e| {
            if let ProgressEvent::JobSubmitted { job_id } = e {
                let _ = tx.send(job_id.clone());
            }
        })
        .build()
        .unwrap();

    let job_id = {
        let run = evaluation.run();
        tokio::pin!(run);
        tokio::select! {
            done = &mut run => panic!("a 600 s job cannot finish: {done:?}"),
            id = rx.recv() => id.unwrap(),
        }
        // `run` is dropped here, mid-job.
    };

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !emu.stats().deleted_jobs.contains(&job_id) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {job_id} was not cancelled: {:?}",
            emu.stats()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Validation

fn problems(builder: EvaluationBuilder) -> Vec<ValidationError> {
    let err = builder.build().expect_err("build must refuse");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(!err.to_string().contains('\n'), "one line: {err}");
    err.validation().to_vec()
}

fn invalid(name: &str) -> impl Fn(&ValidationError) -> bool + '_ {
    move |p| matches!(p, ValidationError::Invalid { name: n, .. } if n == name)
}

fn kpi_problem(metric: &str) -> impl Fn(&ValidationError) -> bool + '_ {
    move |p| matches!(p, ValidationError::Kpi { metric: m, .. } if m == metric)
}

fn assert_has(found: &[ValidationError], what: &str, test: impl Fn(&ValidationError) -> bool) {
    assert!(found.iter().any(test), "expected {what} in {found:#?}");
}

#[tokio::test]
async fn build_refuses_every_invalid_setting_without_a_network_call() {
    let emu = emulator(|b| b).await;
    let ok = || week(&emu);
    let strategies = || {
        ok().source(SourceKind::Strategies)
            .strategies(["Bullseye"])
            .scoring(ScoringConfig::default())
    };
    let weights = |kpis: Vec<KpiWeight>| ScoringConfig {
        kpis,
        ..ScoringConfig::default()
    };

    assert_has(
        &problems(Evaluation::builder().between(day(0), day(7))),
        "missing client",
        |p| matches!(p, ValidationError::Missing { name, .. } if name == "client"),
    );
    assert_has(
        &problems(Evaluation::builder().client(client(&emu))),
        "missing window",
        |p| matches!(p, ValidationError::Missing { name, .. } if name == "window"),
    );
    assert_has(
        &problems(ok().time_zone("Mars/Olympus")),
        "time zone",
        invalid("time_zone"),
    );
    assert_has(
        &problems(ok().granularity("byDay")),
        "granularity",
        invalid("granularity"),
    );
    assert_has(&problems(ok().last_days(0)), "zero days", invalid("days"));
    assert_has(
        &problems(ok().between(day(7), day(0))),
        "reversed range",
        |p| matches!(p, ValidationError::WindowOrder { .. }),
    );
    assert_has(
        &problems(ok().strategies(["Bullseye", "Bullseye"])),
        "duplicate strategy",
        |p| matches!(p, ValidationError::Invalid { name, reason } if name == "strategy" && reason.contains("twice")),
    );
    assert_has(
        &problems(ok().strategy(" ")),
        "empty strategy",
        |p| matches!(p, ValidationError::Invalid { name, reason } if name == "strategy" && reason.contains("empty")),
    );
    assert_has(
        &problems(ok().concurrency(0)),
        "zero concurrency",
        invalid("concurrency"),
    );
    assert_has(
        &problems(ok().max_window_days(0)),
        "zero days per job",
        invalid("max_window_days"),
    );
    assert_has(
        &problems(ok().page_size(0)),
        "zero page size",
        invalid("page_size"),
    );
    assert_has(
        &problems(ok().group_by(" ")),
        "empty group-by",
        invalid("group_by"),
    );
    assert_has(
        &problems(ok().scoring(weights(vec![KpiWeight::new(
            "handledCalls",
            -1.0,
            Direction::HigherIsBetter,
        )]))),
        "negative weight",
        kpi_problem("handledCalls"),
    );
    assert_has(
        &problems(ok().scoring(weights(vec![]))),
        "no KPIs",
        kpi_problem(""),
    );
    assert_has(
        &problems(ok().scoring(weights(vec![KpiWeight::new(
            "happiness",
            1.0,
            Direction::HigherIsBetter,
        )]))),
        "unknown KPI",
        |p| matches!(p, ValidationError::Kpi { metric, reason } if metric == "happiness" && reason.contains("avgSpeedOfAnswer")),
    );

    // The strategies source's limits.
    assert_has(
        &problems(ok().source(SourceKind::Strategies)),
        "no strategy ids",
        |p| matches!(p, ValidationError::NoStrategies { .. }),
    );
    assert_has(
        &problems(strategies().metrics((0..11).map(|i| format!("metric{i}")))),
        "more than 10 metrics",
        |p| {
            matches!(
                p,
                ValidationError::MetricCount {
                    count: 11,
                    max: 10,
                    ..
                }
            )
        },
    );
    assert_has(
        &problems(strategies().between(day(0), day(31))),
        "window over 30 days",
        |p| {
            matches!(
                p,
                ValidationError::WindowTooLong {
                    days: 31,
                    max_days: 30,
                    ..
                }
            )
        },
    );
    assert_has(
        &problems(strategies().group_by("queueId")),
        "unsupported group-by",
        |p| matches!(p, ValidationError::UnsupportedGroupBy { value, .. } if value == "queueId"),
    );
    assert_has(
        &problems(strategies().scoring(ScoringConfig::rates())),
        "KPI the facade lacks",
        |p| matches!(p, ValidationError::Kpi { metric, reason } if metric == "serviceLevel" && reason.contains("strategies source")),
    );

    assert_eq!(emu.stats().requests, 0, "build makes no network call");
}

#[tokio::test]
async fn build_lists_every_problem_at_once() {
    let emu = emulator(|b| b).await;
    let err = Evaluation::builder()
        .between(day(7), day(0))
        .time_zone("Nowhere/Atlantis")
        .granularity("weekly")
        .strategies(["Standard", "Standard"])
        .concurrency(0)
        .build()
        .unwrap_err();

    let found = err.validation();
    assert_has(
        found,
        "missing client",
        |p| matches!(p, ValidationError::Missing { name, .. } if name == "client"),
    );
    assert_has(found, "reversed range", |p| {
        matches!(p, ValidationError::WindowOrder { .. })
    });
    assert_has(found, "time zone", invalid("time_zone"));
    assert_has(found, "granularity", invalid("granularity"));
    assert_has(found, "duplicate strategy", invalid("strategy"));
    assert_has(found, "concurrency", invalid("concurrency"));
    let message = err.to_string();
    for p in found {
        assert!(message.contains(&p.to_string()), "{message} lacks {p}");
    }
    assert_eq!(emu.stats().requests, 0);
}

// ---------------------------------------------------------------------------------------------
// Concurrency, accounting, progress

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_lines_sink_holds_32_whole_lines_after_32_concurrent_evaluations() {
    let emu = emulator(|b| b).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.jsonl");
    let shared = client(&emu);
    let sink = Arc::new(JsonLinesSink::new(&path));
    let runs = (0..32).map(|_| {
        let evaluation = Evaluation::builder()
            .client(shared.clone())
            .between(day(0), day(7))
            .audit_sink(Arc::clone(&sink))
            .build()
            .unwrap();
        tokio::spawn(async move { evaluation.run().await })
    });
    let outcomes: Vec<Outcome> = futures_util::future::join_all(runs)
        .await
        .into_iter()
        .map(|joined| joined.unwrap().unwrap())
        .collect();

    let lines = read_lines(&path);
    assert_eq!(lines.len(), 32);
    let records: Vec<AuditRecord> = lines
        .into_iter()
        .map(|l| serde_json::from_value(l).unwrap())
        .collect();
    let audit_ids: HashSet<&str> = records.iter().map(|r| r.audit_id.as_str()).collect();
    assert_eq!(audit_ids.len(), 32);
    let written: HashSet<&str> = records.iter().map(|r| r.evaluation_id.as_str()).collect();
    let returned: HashSet<&str> = outcomes
        .iter()
        .map(|o| o.report.evaluation_id.as_str())
        .collect();
    assert_eq!(written, returned);
    assert_eq!(written.len(), 32);
}

/// Wall time that never moves; monotonic time from a manual clock plus what the test adds.
#[derive(Debug)]
struct FrozenWall {
    wall: DateTime<Utc>,
    monotonic: ManualClock,
    added: Mutex<Duration>,
}

impl Clock for FrozenWall {
    fn now(&self) -> DateTime<Utc> {
        self.wall
    }
    fn elapsed(&self) -> Duration {
        self.monotonic.elapsed() + *self.added.lock().unwrap()
    }
}

#[tokio::test]
async fn audit_counts_every_http_call_and_measures_latency_on_the_monotonic_clock() {
    let emu = emulator(|b| b.page_size(2)).await;
    let monotonic = ManualClock::new(day(0));
    let clock = Arc::new(FrozenWall {
        wall: Utc::now(),
        monotonic: monotonic.clone(),
        added: Mutex::new(Duration::ZERO),
    });
    let time = TimeSource {
        clock: clock.clone(),
        ..monotonic.time_source(FixedJitter(1.0))
    };
    let shared = client_with(&emu, time);
    let before = emu.stats();
    let clock_in_observer = Arc::clone(&clock);
    let outcome = Evaluation::builder()
        .client(shared.clone())
        .between(day(0), day(7))
        .on_progress(move |e| {
            if matches!(e, ProgressEvent::JobSubmitted { .. }) {
                *clock_in_observer.added.lock().unwrap() += Duration::from_millis(7250);
            }
        })
        .build()
        .unwrap()
        .run()
        .await
        .unwrap();

    let after = emu.stats();
    assert!(after.result_pages > 1, "several pages were fetched");
    assert_eq!(
        outcome.audit.requests.calls,
        after.requests - before.requests
    );
    assert_eq!(outcome.audit.requests.retries, 0);
    assert_eq!(outcome.report.requests, outcome.audit.requests);
    let slept: Duration = monotonic.sleeps().iter().sum();
    let expected = Duration::from_millis(7250) + slept;
    assert!(
        (outcome.audit.latency_seconds - expected.as_secs_f64()).abs() < 1e-9,
        "latency {} s, monotonic clock moved {expected:?} while the wall clock stood still",
        outcome.audit.latency_seconds
    );
    assert_eq!(outcome.audit.execution_timestamp, clock.wall);

    // A second run on the same (now warm) client counts only its own calls: no token fetch.
    let before = emu.stats();
    let again = run_evaluation(Evaluation::builder().client(shared).between(day(0), day(7))).await;
    let after = emu.stats();
    assert_eq!(after.token_requests, before.token_requests);
    assert_eq!(again.audit.requests.calls, after.requests - before.requests);
}

#[tokio::test]
async fn progress_observer_sees_jobs_pages_and_sink_deliveries() {
    let emu = emulator(|b| b.page_size(3)).await;
    let memory = MemorySink::new().with_name("kept");
    let (builder, events) = recording(week(&emu).report_sink(memory.clone()));
    let outcome = builder.build().unwrap().run().await.unwrap();

    let events = events.lock().unwrap().clone();
    let job_id = outcome.report.job_ids[0].clone();
    assert_eq!(
        events[0],
        ProgressEvent::JobSubmitted {
            job_id: job_id.clone()
        }
    );
    assert!(events.iter().any(|e| matches!(e,
        ProgressEvent::JobState { job_id: j, state, .. } if *j == job_id && state == "FULFILLED")));
    let pages: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::PageFetched { page, .. } => Some(*page),
            _ => None,
        })
        .collect();
    assert!(pages.len() > 1, "{events:?}");
    assert_eq!(pages, (1..=pages.len()).collect::<Vec<_>>());
    assert_eq!(
        events.last(),
        Some(&ProgressEvent::SinkDelivered {
            sink: "kept".into(),
            ok: true
        })
    );
    assert_eq!(memory.items(), vec![outcome.report]);
}

#[tokio::test]
async fn strategies_source_runs_through_the_pipeline() {
    let emu = emulator(|b| b).await;
    let (from, to) = (day(0), day(14));
    let memory = MemorySink::new();
    let outcome = run_evaluation(
        Evaluation::builder()
            .client(client(&emu))
            .source(SourceKind::Strategies)
            .strategies(["Bullseye", "Standard", "Predictive", "NoSuchMethod"])
            .between(from, to)
            .report_sink(memory.clone()),
    )
    .await;

    let report = &outcome.report;
    assert_eq!(report.source, SourceKind::Strategies);
    assert_eq!(report.job_ids.len(), 1);
    assert_eq!(emu.stats().submissions, 1);
    assert_eq!(report.missing_strategies, vec!["NoSuchMethod".to_owned()]);
    assert_eq!(report.data_completeness, 0.75);
    assert_eq!(outcome.audit.missing_strategies, report.missing_strategies);
    let expected = emu.expected_counts("usedRouting", from, to);
    for id in ["Bullseye", "Standard", "Predictive"] {
        let line = report.strategy(id).unwrap();
        let want = &expected[&Some(id.to_owned())];
        assert_eq!(
            line.kpis.get(Kpi::HandledCalls),
            want.handled.map(|n| n as f64),
            "{id} handledCalls"
        );
        assert_eq!(
            line.kpis.get(Kpi::AbandonedCalls),
            want.abandoned.map(|n| n as f64),
            "{id} abandonedCalls"
        );
        assert!(line.score.is_some(), "{id} is scored");
        assert!(line.kpis.get(Kpi::AvgSpeedOfAnswer).is_some());
    }
    assert_eq!(report.strategy("NoSuchMethod").unwrap().score, None);
    let body = serde_json::to_value(&memory.items()[0]).unwrap();
    assert_eq!(body["source"], "strategies");
    assert_eq!(body["record_count"], 3);
}

#[tokio::test]
async fn audit_counts_retries_of_the_evaluations_own_calls() {
    let emu = emulator(|b| b.fault(Endpoint::JobStatus, Fault::Status(503), 1)).await;
    let outcome = week(&emu).build().unwrap().run().await.unwrap();

    let stats = emu.stats();
    assert_eq!(stats.faults_served, 1);
    assert_eq!(outcome.audit.requests.retries, 1);
    assert_eq!(outcome.audit.requests.calls, stats.requests);
}

/// A sink of the caller's own that delivers the Standard Webhooks way elsewhere (a queue
/// relaying to the BI tool, say) and says so with the `webhook-id` it used, or fails with it.
struct RelayedWebhook {
    fail: bool,
}

#[async_trait::async_trait]
impl genesys_routing_eval::sink::Sink<genesys_routing_eval::evaluation::Report> for RelayedWebhook {
    fn name(&self) -> &str {
        "relay"
    }

    async fn deliver(
        &self,
        _report: &genesys_routing_eval::evaluation::Report,
    ) -> genesys_routing_eval::Result<genesys_routing_eval::sink::Delivered> {
        if self.fail {
            return Err(genesys_routing_eval::sink::DeliveryFailure::new(1)
                .with_webhook_id("msg_relayed")
                .attach(genesys_routing_eval::Error::new(
                    ErrorKind::Sink,
                    "the relay refused the report",
                )));
        }
        Ok(genesys_routing_eval::sink::Delivered::new().with_webhook_id("msg_relayed"))
    }
}

#[tokio::test]
async fn webhook_sync_status_follows_any_sink_whose_outcome_carries_a_webhook_id() {
    let emu = emulator(|b| b).await;
    let status = |builder: EvaluationBuilder| async move {
        builder
            .build()
            .unwrap()
            .run()
            .await
            .unwrap()
            .audit
            .webhook_sync_status
    };

    let memory_only = week(&emu).report_sink(MemorySink::new());
    assert_eq!(status(memory_only).await, WebhookSyncStatus::Skipped);
    let relayed = week(&emu)
        .report_sink(MemorySink::new())
        .report_sink(RelayedWebhook { fail: false });
    assert_eq!(status(relayed).await, WebhookSyncStatus::Success);
    let refused = week(&emu)
        .report_sink(RelayedWebhook { fail: false })
        .report_sink(RelayedWebhook { fail: true });
    assert_eq!(status(refused).await, WebhookSyncStatus::Failed);
}

#[tokio::test]
async fn a_failing_audit_sink_is_reported_but_fails_no_run() {
    let emu = emulator(|b| b).await;
    let dir = tempfile::tempdir().unwrap();
    let unwritable = dir.path().join("no-such-dir").join("audit.jsonl");
    let outcome = week(&emu)
        .audit_sink(JsonLinesSink::new(&unwritable).with_name("audit-log"))
        .build()
        .unwrap()
        .run()
        .await
        .expect("the report is returned");

    assert!(outcome.sinks_failed());
    assert_eq!(
        outcome.audit.webhook_sync_status,
        WebhookSyncStatus::Skipped
    );
    let [failed] = outcome.audit_outcomes.clone().try_into().unwrap();
    assert_eq!(failed.sink, "audit-log");
    assert!(!failed.is_delivered());
    let kept: AuditRecord = serde_json::from_slice(failed.undelivered.as_deref().unwrap()).unwrap();
    assert_eq!(kept, outcome.audit, "the undelivered record is kept whole");
}

// ---------------------------------------------------------------------------------------------
// Ranking: the default preset, strategies without data

/// Whether `a` is at least as good as `b` on every KPI the rates preset scores, and better on
/// one.
fn dominates(a: &StrategyReport, b: &StrategyReport) -> bool {
    let kpis = ScoringConfig::rates().kpis;
    let mut better = false;
    for k in &kpis {
        let kpi = Kpi::from_name(&k.metric).unwrap();
        let (Some(x), Some(y)) = (a.kpis.get(kpi), b.kpis.get(kpi)) else {
            return false;
        };
        let (x, y) = match k.direction {
            Direction::HigherIsBetter => (x, y),
            Direction::LowerIsBetter => (-x, -y),
        };
        if x < y {
            return false;
        }
        better |= x > y;
    }
    better
}

#[tokio::test]
async fn by_default_a_strategy_better_for_every_caller_outranks_a_busier_one() {
    let emu = emulator(|b| b).await;

    let outcome = week(&emu).build().unwrap().run().await.unwrap();

    let report = &outcome.report;
    assert_eq!(report.scoring, ScoringConfig::rates());
    assert_eq!(report.scoring.preset(), Some(Preset::Rates));
    let lines = &report.results;
    let mut pairs = 0;
    for a in lines {
        for b in lines {
            if dominates(a, b) {
                pairs += 1;
                assert!(
                    a.rank.unwrap() < b.rank.unwrap(),
                    "{} serves every caller better than {} yet ranks {:?} to its {:?}",
                    a.strategy_id,
                    b.strategy_id,
                    a.rank,
                    b.rank
                );
            }
        }
    }
    assert!(
        pairs > 0,
        "the emulator's data has strategies that dominate others"
    );
    let body = serde_json::to_value(report).unwrap();
    assert_eq!(body["scoring"]["preset"], "rates");
    assert_eq!(
        body["scoring"]["kpis"],
        serde_json::to_value(ScoringConfig::rates().kpis).unwrap()
    );

    let tutorial = run_evaluation(week(&emu).scoring(Preset::Tutorial.config())).await;
    assert_eq!(tutorial.report.scoring.preset(), Some(Preset::Tutorial));
    assert_eq!(tutorial.audit.scoring.preset, "tutorial");
}

#[tokio::test]
async fn the_strategies_source_defaults_to_the_tutorial_preset_it_can_supply() {
    let emu = emulator(|b| b).await;

    let evaluation = week(&emu)
        .source(SourceKind::Strategies)
        .strategies(["Bullseye", "Direct"])
        .build()
        .unwrap();

    assert_eq!(evaluation.scoring(), &ScoringConfig::tutorial());
    assert_eq!(SourceKind::Strategies.default_preset(), Preset::Tutorial);
}

#[tokio::test]
async fn a_requested_strategy_without_data_is_listed_without_a_rank() {
    let emu = emulator(|b| b).await;
    let memory = MemorySink::new();

    let outcome = run_evaluation(
        week(&emu)
            .strategies(["Direct", "Bullseye", "Retired"])
            .report_sink(memory.clone()),
    )
    .await;

    let report = &outcome.report;
    assert!(report.has_data());
    let retired = report.strategy("Retired").unwrap();
    assert!(!retired.has_data);
    assert_eq!((retired.rank, retired.score), (None, None));
    let ranks: Vec<Option<usize>> = report.ranked().iter().map(|l| l.rank).collect();
    assert_eq!(ranks, [Some(1), Some(2), None]);
    let body = serde_json::to_value(&memory.items()[0]).unwrap();
    let record = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["strategyId"] == "Retired")
        .unwrap();
    assert_eq!(record["has_data"], false);
    assert!(record["rank"].is_null());
    assert_eq!(body["record_count"], 2);
    let last = outcome.audit.scores.last().unwrap();
    assert_eq!(
        (last.strategy_id.as_str(), last.has_data, last.rank),
        ("Retired", false, None)
    );
}

#[tokio::test]
async fn no_data_for_any_requested_strategy_is_a_report_without_data() {
    let emu = emulator(|b| b).await;

    let outcome = run_evaluation(week(&emu).strategies(["Retired", "Gone"])).await;

    assert!(!outcome.report.has_data());
    assert!(outcome.report.results.iter().all(|l| l.rank.is_none()));
    assert_eq!(outcome.report.data_completeness, 0.0);
}

#[tokio::test]
async fn a_routing_method_in_the_wrong_case_is_refused_with_its_spelling_before_any_request() {
    let emu = emulator(|b| b).await;

    let found = problems(week(&emu).strategies(["bullseye", "Direct", "STANDARD"]));

    for (typed, meant) in [("bullseye", "Bullseye"), ("STANDARD", "Standard")] {
        assert_has(&found, typed, |p| {
            matches!(p, ValidationError::Invalid { name, reason }
                if name == "strategy" && reason.contains(&format!("`{typed}`"))
                    && reason.contains(&format!("did you mean `{meant}`")))
        });
    }
    assert_eq!(found.len(), 2, "{found:#?}");
    // Any other dimension's values are the caller's own.
    week(&emu)
        .group_by("queueId")
        .strategies(["bullseye"])
        .build()
        .unwrap();
    assert_eq!(emu.stats().requests, 0);
}

#[tokio::test]
async fn counts_are_integers_in_the_report_body() {
    let emu = emulator(|b| b).await;

    let outcome = week(&emu).build().unwrap().run().await.unwrap();

    let body = serde_json::to_value(&outcome.report).unwrap();
    for record in body["data"].as_array().unwrap() {
        for kpi in Kpi::ALL.into_iter().filter(|k| k.is_count()) {
            assert!(record[kpi.name()].is_u64(), "{} in {record}", kpi.name());
        }
        assert!(record["abandonRate"].is_f64(), "{record}");
    }
    assert!(
        body["unattributed"]["offered"].is_u64(),
        "{}",
        body["unattributed"]
    );
}
