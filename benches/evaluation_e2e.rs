//! A whole evaluation (submit, poll, fetch, merge, score, report, audit) against the emulator
//! with a fixed 200 ms job latency: its time over the job latency, and the HTTP requests it
//! makes (from the audit record) beside the tutorial's polling every 5 s. Before measuring it
//! prints the requests of one cold and one warm run, and the poll schedule beside the
//! tutorial's for longer jobs. See `docs/performance.md`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use genesys_routing_eval::Client;
use genesys_routing_eval::config::PollPolicy;
use genesys_routing_eval::evaluation::Evaluation;
use genesys_routing_eval::progress::ProgressEvent;
use routing_eval_emulator::Emulator;

const JOB_LATENCY: Duration = Duration::from_millis(200);
const TUTORIAL_POLL: Duration = Duration::from_secs(5);

/// Polls the tutorial makes for a job of `job`: a status check every 5 s after submission
/// until one sees it done.
fn tutorial_polls(job: Duration) -> u32 {
    (job.as_secs_f64() / TUTORIAL_POLL.as_secs_f64())
        .ceil()
        .max(1.0) as u32
}

/// Polls `policy` makes for a job of `job`, and when the last one happens.
fn our_polls(policy: &PollPolicy, job: Duration) -> (u32, Duration) {
    let (mut polls, mut at) = (0, Duration::ZERO);
    while at < job || polls == 0 {
        polls += 1;
        at += policy.interval(polls);
    }
    (polls, at)
}

/// A client of `emulator` polling with `policy` (the poll policy is the client's setting).
fn client(emulator: &Emulator, policy: PollPolicy) -> Client {
    Client::builder()
        .api_base(emulator.base_url().as_str())
        .credentials(emulator.client_id(), emulator.client_secret().to_owned())
        .poll_policy(policy)
        .build()
        .expect("client")
}

fn evaluation(client: &Client, pages: Arc<AtomicU64>) -> Evaluation {
    Evaluation::builder()
        .client(client.clone())
        .between(
            Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2024, 5, 31, 0, 0, 0).unwrap(),
        )
        .granularity("P1D")
        .on_progress(move |event| {
            if matches!(event, ProgressEvent::PageFetched { .. }) {
                pages.fetch_add(1, Ordering::Relaxed);
            }
        })
        .build()
        .expect("valid evaluation")
}

fn print_schedules(default: &PollPolicy) {
    eprintln!("job_s  tutorial_polls tutorial_done_s  our_polls our_done_s");
    for secs in [0.2, 1.0, 5.0, 30.0, 60.0, 300.0] {
        let job = Duration::from_secs_f64(secs);
        let tutorial = tutorial_polls(job);
        let (ours, done) = our_polls(default, job);
        eprintln!(
            "{secs:>5}  {tutorial:>14} {:>15.1}  {ours:>9} {:>10.2}",
            f64::from(tutorial) * TUTORIAL_POLL.as_secs_f64(),
            done.as_secs_f64()
        );
    }
}

fn end_to_end(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let emulator = runtime.block_on(async {
        Emulator::builder()
            .job_latency(JOB_LATENCY)
            .start()
            .await
            .expect("emulator starts")
    });
    let default = PollPolicy::default();
    let fast = PollPolicy::default().with_intervals(
        Duration::from_millis(50),
        1.5,
        Duration::from_secs(10),
    );
    print_schedules(&default);
    for (name, policy) in [("default_poll", default), ("poll_from_50ms", fast)] {
        let pages = Arc::new(AtomicU64::new(0));
        let client = client(&emulator, policy);
        let eval = evaluation(&client, Arc::clone(&pages));
        for run in ["first", "second"] {
            pages.store(0, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = runtime.block_on(eval.run()).expect("evaluation runs");
            let took = started.elapsed();
            let calls = outcome.audit.requests.calls;
            let fetched = pages.load(Ordering::Relaxed);
            // The tutorial: a token, the submission, a poll every 5 s, then every page.
            let tutorial = 2 + u64::from(tutorial_polls(JOB_LATENCY)) + fetched;
            eprintln!(
                "{name} {run} run: {took:?}, {calls} requests ({} retries, {fetched} pages, {} jobs); tutorial would make {tutorial} (incl. a token) and take >= {:?}",
                outcome.audit.requests.retries,
                outcome.audit.job_ids.len(),
                TUTORIAL_POLL.saturating_mul(tutorial_polls(JOB_LATENCY)),
            );
        }
        let mut group = c.benchmark_group("evaluation_e2e_job_200ms");
        group.sample_size(10);
        group.measurement_time(Duration::from_secs(8));
        group.warm_up_time(Duration::from_secs(1));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.to_async(&runtime)
                .iter(|| async { eval.run().await.expect("evaluation runs") })
        });
        group.finish();
    }
    eprintln!(
        "emulator served {} requests in all",
        emulator.stats().requests
    );
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
