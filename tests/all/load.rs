//! Load: 200 evaluations at once on one client against a rate-limited emulator. All must
//! complete, share one token, and wait out every 429; memory stays bounded.
//!
//! Real time here (a manual clock would not move the emulator's rate window): the window is
//! one second, so every `Retry-After` is 1 s and the run takes seconds.

use std::time::{Duration, Instant};

use genesys_routing_eval::Client;
use genesys_routing_eval::config::{PollPolicy, RetryPolicy};
use genesys_routing_eval::evaluation::Evaluation;
use routing_eval_emulator::Emulator;

const EVALUATIONS: usize = 200;
/// Requests per token per window: well under the ~1,000 the run makes, so the limit bites.
const PER_WINDOW: u32 = 150;

/// A `/proc/self/status` field in KiB (Linux); `None` elsewhere.
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_evaluations_share_one_token_and_retry_every_429() {
    let peak_before = proc_status_kib("VmHWM");
    let emulator = Emulator::builder()
        .job_latency(Duration::from_millis(50))
        .rate_limit(PER_WINDOW)
        .rate_window(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let client = Client::builder()
        .api_base(emulator.base_url().as_str())
        .credentials(emulator.client_id(), emulator.client_secret().to_owned())
        .poll_policy(PollPolicy::default().with_intervals(
            Duration::from_millis(20),
            1.5,
            Duration::from_millis(200),
        ))
        // Enough attempts that a request queued behind a few full windows still gets through.
        .retry_policy(RetryPolicy::default().with_max_attempts(30))
        .build()
        .unwrap();
    let evaluation = Evaluation::builder()
        .client(client.clone())
        .last_days(7)
        .build()
        .unwrap();

    let started = Instant::now();
    let tasks: Vec<_> = (0..EVALUATIONS)
        .map(|_| {
            let evaluation = evaluation.clone();
            tokio::spawn(async move { evaluation.run().await })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(EVALUATIONS);
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    let peak_after = proc_status_kib("VmHWM");

    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| o.as_ref().err().map(ToString::to_string))
        .collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );
    let served = emulator.stats();
    let client_stats = client.stats();
    let per_evaluation_retries: u64 = outcomes
        .iter()
        .map(|o| o.as_ref().unwrap().report.requests.retries)
        .sum();
    let memory = match (peak_before, peak_after) {
        (Some(before), Some(after)) => format!(
            "peak RSS {before} KiB before, {after} KiB after (+{} KiB)",
            after.saturating_sub(before)
        ),
        _ => "peak RSS not available on this platform".into(),
    };
    println!(
        "load: {EVALUATIONS} evaluations in {:.1} s; {} requests served, {} token request(s), {} answered 429 (limit {PER_WINDOW}/s), {} client retries; {memory}",
        elapsed.as_secs_f64(),
        served.requests,
        served.token_requests,
        served.rate_limited,
        client_stats.retries,
    );

    assert_eq!(served.token_requests, 1, "one token for every caller");
    assert!(
        served.rate_limited > 0,
        "the rate limit never bit; lower PER_WINDOW"
    );
    // Nothing else failed, so every retry answers a 429, and every 429 was retried (no
    // evaluation failed).
    assert_eq!(client_stats.retries, served.rate_limited);
    assert_eq!(per_evaluation_retries, client_stats.retries);
    let jobs: std::collections::HashSet<&String> = outcomes
        .iter()
        .flat_map(|o| &o.as_ref().unwrap().report.job_ids)
        .collect();
    assert_eq!(jobs.len(), EVALUATIONS, "one job per evaluation");
    assert!(served.deleted_jobs.is_empty(), "no job was abandoned");
    assert!(elapsed < Duration::from_secs(60), "took {elapsed:?}");
    if let (Some(before), Some(after)) = (peak_before, peak_after) {
        // Generous: VmHWM is the whole test process's peak, and the binary's other tests run
        // beside this one (the planted-effects comparison among them); the 200 reports are all
        // held until the end, each with its table, cells and names. The bound still catches a
        // leak or a per-request buffer that grows with the load (those reach gigabytes here).
        assert!(
            after.saturating_sub(before) < 512 * 1024,
            "peak RSS grew by {} KiB",
            after - before
        );
    }
}
