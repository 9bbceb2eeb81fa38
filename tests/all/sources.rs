//! Both sources over real HTTP to the emulator: happy paths, every scripted fault and its
//! outcome, the single-flight token, job cancellation, and the strategies-source limits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use genesys_routing_eval::config::{PollPolicy, RetryPolicy, Timeouts};
use genesys_routing_eval::metrics::{MeanParts, RawCounts};
use genesys_routing_eval::progress::{Progress, ProgressEvent};
use genesys_routing_eval::sources::SourceRun;
use genesys_routing_eval::sources::aggregates::{
    AggregationQuery, Filter, ROUTING_METRICS, TableLayout,
};
use genesys_routing_eval::sources::strategies::{ROUTING_METRIC_TYPES, StrategiesQuery};
use genesys_routing_eval::time::{FixedJitter, ManualClock, TimeSource};
use genesys_routing_eval::{Client, ClientBuilder, ErrorKind, ValidationError};
use routing_eval_emulator::{Emulator, EmulatorBuilder, Endpoint, Fault};

use crate::support::{client_builder, clock, emulator, slow_emulator};

fn from() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap()
}

fn to() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap()
}

fn query() -> AggregationQuery {
    AggregationQuery::new(from(), to(), ROUTING_METRICS.iter().copied())
        .granularity("P1D")
        .time_zone("UTC")
        .group_by("usedRouting")
        .group_by("queueId")
}

fn client(emu: &Emulator, clock: &ManualClock) -> ClientBuilder {
    client_builder(emu, clock.time_source(FixedJitter(1.0)))
}

/// An emulator set up by `configure`, a manual clock, and a client of the one on the other.
/// Keep the emulator bound (`_emu`, not `_`): dropping it stops it.
async fn started(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> (Emulator, ManualClock, Client) {
    let emu = emulator(configure).await;
    let clock = clock();
    let client = client(&emu, &clock).build().unwrap();
    (emu, clock, client)
}

/// The routing query run to its end on `client`, grouped by strategy, with no progress.
async fn run_by_strategy(client: &Client) -> genesys_routing_eval::Result<SourceRun> {
    client
        .aggregates()
        .run(&query(), "usedRouting", &Progress::none())
        .await
}

/// Progress that records every event.
fn recorder() -> (Progress, Arc<Mutex<Vec<ProgressEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let progress = Progress::with_observer(move |e| sink.lock().unwrap().push(e.clone()));
    (progress, events)
}

/// `actual` equals `expected` once `expected` (the emulator's, where a metric without events
/// is absent as Genesys leaves it out) has 0 for every routing metric, as the client reads a
/// requested metric Genesys left out: counts exactly, sums of milliseconds to 1e-6 relative.
pub(crate) fn assert_counts_match(actual: &RawCounts, expected: &RawCounts, what: &str) {
    let expected = &TableLayout::new("usedRouting")
        .requested(ROUTING_METRICS)
        .complete(*expected);
    let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        (a, b) => a == b,
    };
    assert_eq!(actual.offered, expected.offered, "{what} offered");
    assert_eq!(actual.answered, expected.answered, "{what} answered");
    assert_eq!(actual.abandoned, expected.abandoned, "{what} abandoned");
    assert_eq!(actual.handled, expected.handled, "{what} handled");
    assert_eq!(
        actual.transferred, expected.transferred,
        "{what} transferred"
    );
    for (a, b, field) in [
        (
            actual.answer_time_ms,
            expected.answer_time_ms,
            "answer time",
        ),
        (
            actual.handle_time_ms,
            expected.handle_time_ms,
            "handle time",
        ),
        (
            actual.service_level_met,
            expected.service_level_met,
            "service level met",
        ),
        (
            actual.service_level_total,
            expected.service_level_total,
            "service level total",
        ),
    ] {
        assert!(close(a, b), "{what} {field}: {a:?} != {b:?}");
    }
}

#[tokio::test]
async fn aggregates_job_becomes_a_metric_table_matching_the_emulators_data() {
    let (emu, _, client) = started(|b| b.page_size(4)).await;
    let (progress, events) = recorder();

    let run = client
        .aggregates()
        .run(&query(), "usedRouting", &progress)
        .await
        .unwrap();

    let expected = emu.expected_counts("usedRouting", from(), to());
    let strategies: Vec<_> = expected.keys().flatten().collect();
    assert!(strategies.len() >= 2, "{expected:?}");
    assert_eq!(run.table.strategies().len(), strategies.len());
    for (key, counts) in &expected {
        match key {
            Some(strategy) => {
                let got = run.table.strategy(strategy).expect("strategy in table");
                assert_counts_match(&got.totals(), counts, strategy);
                assert!(got.buckets().len() >= 7, "daily buckets per queue");
            }
            None => assert_counts_match(run.table.unattributed(), counts, "unattributed"),
        }
    }
    let stats = emu.stats();
    assert!(stats.result_pages >= 2, "several pages at page size 4");
    assert!(stats.deleted_jobs.is_empty());
    let events = events.lock().unwrap();
    assert_eq!(
        events[0],
        ProgressEvent::JobSubmitted {
            job_id: run.job_id.clone()
        }
    );
    let pages = events
        .iter()
        .filter(|e| matches!(e, ProgressEvent::PageFetched { .. }))
        .count();
    assert_eq!(pages as u64, stats.result_pages);
}

#[tokio::test]
async fn strategy_filter_and_synchronous_query_return_only_the_asked_values() {
    let (_emu, _, client) = started(|b| b).await;
    let q = query().filter(Filter::any_of("usedRouting", ["Bullseye"]));

    let answer = client.aggregates().query(&q).await.unwrap();

    assert!(!answer.results.is_empty());
    for group in &answer.results {
        assert_eq!(
            group.group.get("usedRouting").map(String::as_str),
            Some("Bullseye")
        );
    }
}

#[tokio::test]
async fn strategies_source_fills_handled_abandoned_and_weighted_speed_of_answer() {
    let (_emu, _, client) = started(|b| b.page_size(2)).await;
    let q = StrategiesQuery::new(
        ["Bullseye", "Standard", "Predictive"],
        ROUTING_METRIC_TYPES.iter().copied(),
        from(),
        to(),
    );

    let run = client
        .strategies()
        .run(&q, &Progress::none())
        .await
        .unwrap();

    assert!(!run.job_id.is_empty());
    assert!(run.table.strategies().len() > 0);
    for strategy in run.table.strategies() {
        assert!(["Bullseye", "Standard", "Predictive"].contains(&strategy.id()));
        for bucket in strategy.buckets() {
            let c = bucket.counts();
            if let (Some(handled), Some(asa)) = (c.handled, c.reported_speed_of_answer) {
                assert_eq!(asa.weight, handled as f64);
                assert_eq!(asa.samples, 1);
                assert_eq!(asa, MeanParts::of(asa.plain_sum, handled as f64));
            }
        }
        let totals = strategy.totals();
        assert!(totals.handled.is_some() && totals.abandoned.is_some());
    }
}

#[tokio::test]
async fn rate_limited_poll_waits_the_servers_retry_after_then_succeeds() {
    let (emu, clock, client) = started(|b| {
        b.fault(
            Endpoint::JobStatus,
            Fault::RateLimited {
                retry_after_secs: 7,
            },
            1,
        )
    })
    .await;

    run_by_strategy(&client).await.unwrap();

    assert_eq!(
        clock.sleeps(),
        vec![Duration::from_millis(500), Duration::from_secs(7)]
    );
    assert_eq!(emu.stats().rate_limited, 1);
}

#[tokio::test]
async fn rate_limited_until_an_http_date_waits_until_that_date() {
    let (_emu, clock, client) = started(|b| {
        b.fault(
            Endpoint::SubmitJob,
            Fault::RateLimitedUntil {
                retry_after_secs: 30,
            },
            1,
        )
    })
    .await;

    client.aggregates().submit(&query()).await.unwrap();

    let waits = clock.sleeps();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] > Duration::from_secs(28) && waits[0] < Duration::from_secs(31),
        "{waits:?}"
    );
}

#[tokio::test]
async fn server_error_bursts_on_results_are_retried_with_backoff() {
    let (_emu, clock, client) = started(|b| {
        b.fault(Endpoint::JobResults, Fault::Status(503), 1)
            .fault(Endpoint::JobResults, Fault::Status(502), 1)
            .fault(Endpoint::JobResults, Fault::Status(504), 1)
    })
    .await;

    run_by_strategy(&client).await.unwrap();

    let ms: Vec<u128> = clock.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, vec![500, 500, 1000, 2000], "poll, then three backoffs");
    assert_eq!(client.stats().retries, 3);
}

#[tokio::test]
async fn job_submission_answered_500_is_not_retried() {
    let (emu, clock, client) =
        started(|b| b.fault(Endpoint::SubmitJob, Fault::Status(500), 1)).await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Server);
    assert_eq!(err.status(), Some(500));
    assert!(err.correlation_id().is_some(), "{err:?}");
    assert_eq!(emu.stats().submissions, 1);
    assert!(clock.sleeps().is_empty());
}

#[tokio::test]
async fn job_submission_answered_503_is_retried() {
    let (emu, _, client) = started(|b| b.fault(Endpoint::SubmitJob, Fault::Status(503), 2)).await;

    client.aggregates().submit(&query()).await.unwrap();

    assert_eq!(emu.stats().submissions, 3);
}

#[tokio::test]
async fn truncated_results_page_is_a_decode_error_with_a_json_path() {
    let (_emu, _, client) = started(|b| b.fault(Endpoint::JobResults, Fault::Truncated, 1)).await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode);
    let path = err.json_path().expect("a json path");
    assert!(path.starts_with("results"), "{path}");
}

#[tokio::test]
async fn malformed_job_status_is_a_decode_error_with_a_json_path() {
    let (_emu, _, client) = started(|b| b.fault(Endpoint::JobStatus, Fault::Malformed, 1)).await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Decode);
    assert!(err.json_path().is_some(), "{err}");
}

#[tokio::test]
async fn revoked_token_is_renewed_once_and_the_request_replayed() {
    let (emu, _, client) = started(|b| b.fault(Endpoint::JobStatus, Fault::RevokeToken, 1)).await;

    run_by_strategy(&client).await.unwrap();

    assert_eq!(emu.stats().token_requests, 2);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error_naming_the_client_id() {
    let (emu, _, client) = started(|b| b.fault(Endpoint::JobStatus, Fault::RevokeToken, 2)).await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains(emu.client_id()), "{err}");
    assert!(!format!("{err} {err:?}").contains(emu.client_secret()));
    assert_eq!(emu.stats().token_requests, 2);
}

#[tokio::test]
async fn wrong_credentials_are_an_auth_error_with_the_oauth_code() {
    let emu = emulator(|b| b).await;
    let clock = clock();
    let client = Client::builder()
        .api_base(emu.base_url().as_str())
        .credentials(emu.client_id(), "not-the-secret")
        .time_source(clock.time_source(FixedJitter(1.0)))
        .build()
        .unwrap();

    let err = client.aggregates().submit(&query()).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.code(), Some("invalid_client"));
    assert!(!format!("{err:?}").contains("not-the-secret"));
}

#[tokio::test]
async fn failed_job_is_a_job_error_with_the_servers_message() {
    let (emu, _, client) = started(|b| {
        b.fault(
            Endpoint::SubmitJob,
            Fault::JobFailed {
                message: "query exceeded the data limit".into(),
            },
            1,
        )
    })
    .await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Job);
    assert!(err.message().contains("FAILED"), "{err}");
    assert!(
        err.message().contains("query exceeded the data limit"),
        "{err}"
    );
    assert!(emu.stats().deleted_jobs.is_empty());
}

#[tokio::test]
async fn expired_job_is_a_job_error() {
    let (_emu, _, client) = started(|b| b.fault(Endpoint::SubmitJob, Fault::JobExpired, 1)).await;

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Job);
    assert!(err.message().contains("EXPIRED"), "{err}");
}

#[tokio::test]
async fn failed_strategies_job_is_a_job_error_with_the_failure_reason() {
    let (_emu, _, client) = started(|b| {
        b.fault(
            Endpoint::StrategiesSubmit,
            Fault::JobFailed {
                message: "facade backend unavailable".into(),
            },
            1,
        )
    })
    .await;
    let q = StrategiesQuery::new(["Bullseye"], ["handledCalls"], from(), to());

    let err = client
        .strategies()
        .run(&q, &Progress::none())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Job);
    assert!(
        err.message().contains("facade backend unavailable"),
        "{err}"
    );
}

#[tokio::test]
async fn slow_response_past_the_request_timeout_is_a_timeout() {
    let emu =
        emulator(|b| b.fault(Endpoint::JobStatus, Fault::Slow(Duration::from_secs(3)), 2)).await;
    let clock = clock();
    let client = client(&emu, &clock)
        .timeouts(Timeouts::new(
            Duration::from_secs(1),
            Duration::from_millis(300),
        ))
        .retry_policy(RetryPolicy::default().with_max_attempts(2))
        .build()
        .unwrap();

    let err = run_by_strategy(&client).await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn sixty_four_concurrent_calls_on_a_cold_cache_make_one_token_request() {
    let (emu, _, client) = started(|b| b).await;

    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.aggregates().query(&query()).await })
    });
    for call in futures_util::future::join_all(calls).await {
        assert!(!call.unwrap().unwrap().results.is_empty());
    }

    let stats = emu.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.requests, 65);
}

#[tokio::test]
async fn rate_limited_token_request_is_retried_after_the_servers_wait() {
    let (emu, clock, client) = started(|b| {
        b.fault(
            Endpoint::Token,
            Fault::RateLimited {
                retry_after_secs: 4,
            },
            1,
        )
    })
    .await;

    client.aggregates().query(&query()).await.unwrap();

    assert_eq!(clock.sleeps(), vec![Duration::from_secs(4)]);
    assert_eq!(emu.stats().token_requests, 2);
}

#[tokio::test]
async fn poll_deadline_cancels_the_job_with_delete() {
    let emu = slow_emulator(Duration::from_secs(3600)).await;
    let clock = clock();
    let client = client(&emu, &clock)
        .poll_policy(PollPolicy::default().with_deadline(Duration::from_secs(5)))
        .build()
        .unwrap();
    let (progress, events) = recorder();

    let err = client
        .aggregates()
        .run(&query(), "usedRouting", &progress)
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Timeout);
    let job_id = match &events.lock().unwrap()[0] {
        ProgressEvent::JobSubmitted { job_id } => job_id.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(emu.stats().deleted_jobs, vec![job_id.clone()]);
    assert!(
        events
            .lock()
            .unwrap()
            .contains(&ProgressEvent::JobCancelled { job_id })
    );
    let ms: Vec<u128> = clock.sleeps().iter().map(Duration::as_millis).collect();
    assert_eq!(ms, vec![500, 750, 1125, 1687, 937]);
}

#[tokio::test]
async fn dropping_the_run_cancels_the_job_with_delete() {
    let emu = slow_emulator(Duration::from_secs(3600)).await;
    let client = client_builder(&emu, TimeSource::default())
        .poll_policy(PollPolicy::default().with_intervals(
            Duration::from_millis(20),
            1.0,
            Duration::from_millis(20),
        ))
        .build()
        .unwrap();
    let (submitted_tx, mut submitted_rx) = tokio::sync::mpsc::unbounded_channel();
    let progress = Progress::with_observer(move |e| {
        if let ProgressEvent::JobSubmitted { job_id } = e {
            let _ = submitted_tx.send(job_id.clone());
        }
    });
    let aggregates = client.aggregates();
    let q = query();

    let job_id = {
        let run = aggregates.run(&q, "usedRouting", &progress);
        tokio::pin!(run);
        tokio::select! {
            _ = &mut run => panic!("the job cannot finish within an hour"),
            id = submitted_rx.recv() => {
                // Let a few polls happen, then abandon the run.
                let id = id.unwrap();
                let _ = tokio::time::timeout(Duration::from_millis(100), &mut run).await;
                id
            }
        }
    };

    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while emu.stats().deleted_jobs.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(emu.stats().deleted_jobs, vec![job_id]);
}

/// Recognises the one validation problem a case must produce.
type ProblemCheck = fn(&ValidationError) -> bool;

#[tokio::test]
async fn strategies_queries_beyond_every_limit_are_refused_before_any_request() {
    let (emu, _, client) = started(|b| b).await;
    let eleven: Vec<String> = (0..11).map(|i| format!("metric{i}")).collect();
    let cases: Vec<(StrategiesQuery, ProblemCheck)> = vec![
        (
            StrategiesQuery::new(Vec::<String>::new(), ["handledCalls"], from(), to()),
            |p| matches!(p, ValidationError::NoStrategies { .. }),
        ),
        (
            StrategiesQuery::new(["s"], eleven.clone(), from(), to()),
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
        ),
        (
            StrategiesQuery::new(["s"], Vec::<String>::new(), from(), to()),
            |p| matches!(p, ValidationError::MetricCount { count: 0, .. }),
        ),
        (
            StrategiesQuery::new(["s"], ["handledCalls"], to(), from()),
            |p| matches!(p, ValidationError::WindowOrder { .. }),
        ),
        (
            StrategiesQuery::new(
                ["s"],
                ["handledCalls"],
                from(),
                from() + chrono::Duration::days(45),
            ),
            |p| {
                matches!(
                    p,
                    ValidationError::WindowTooLong {
                        days: 45,
                        max_days: 30,
                        ..
                    }
                )
            },
        ),
        (
            StrategiesQuery::new(["s"], ["handledCalls"], from(), to()).group_bys(["queueId"]),
            |p| matches!(p, ValidationError::UnsupportedGroupBy { .. }),
        ),
    ];
    for (q, is_expected) in cases {
        let err = client
            .strategies()
            .run(&q, &Progress::none())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(matches!(err.validation(), [p] if is_expected(p)), "{err:?}");
    }
    let all_wrong =
        StrategiesQuery::new(Vec::<String>::new(), eleven, to(), from()).group_bys(["queueId"]);
    let err = client.strategies().submit(&all_wrong).await.unwrap_err();
    assert_eq!(err.validation().len(), 4, "{err}");
    let exactly_thirty = StrategiesQuery::new(
        ["s"],
        ["handledCalls"],
        from(),
        from() + chrono::Duration::days(30),
    );
    assert!(exactly_thirty.validate().is_ok());
    assert_eq!(emu.stats().requests, 0);
}

#[tokio::test]
async fn running_a_query_not_grouped_by_the_dimension_is_refused_before_any_request() {
    let (emu, _, client) = started(|b| b).await;

    let err = client
        .aggregates()
        .run(&query(), "requestedRoutingSkillId", &Progress::none())
        .await
        .unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("requestedRoutingSkillId"), "{err}");
    assert_eq!(emu.stats().requests, 0);
}
