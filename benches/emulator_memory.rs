//! Peak memory of the emulator serving a 200-queue, 90-day `PT1H` aggregates job, page by
//! page: a job keeps its query, each page is generated when asked for, so the rise in peak
//! resident memory stays around one page's groups, whatever the window.
//!
//! The emulator runs in this process; the client reads each page's bytes and drops them. The
//! peak is `VmHWM` from `/proc/self/status`, reset through `/proc/self/clear_refs` just before
//! the job. `cargo bench --bench emulator_memory` measures 200 queues x 90 days (it exits
//! non-zero if the rise passes `BOUND_PAGES` largest pages or the emulator held more than a page of groups);
//! without `--bench` (as `cargo test --benches` runs it) it serves 20 queues x 7 days and
//! fails only if more than a page of groups was held. The
//! figure is in `docs/performance.md`.

#[path = "support/emulator_pages.rs"]
#[allow(dead_code)] // this bench takes only the emulator, token and job helpers
mod pages;

use std::process::ExitCode;
use std::time::Instant;

use routing_eval_emulator::Scenario;
use serde_json::{Value, json};

const QUEUES: usize = 200;
const DAYS: i64 = 90;
const PAGE_SIZE: usize = 10;
/// The rise in peak RSS allowed when measuring, in multiples of the largest page's JSON: the
/// server renders a page as a JSON tree (many times its text) before serialising it, and this
/// process's client parses it again; glibc keeps per-thread arenas. Nothing scales with the
/// window: holding the job (312 MB of JSON at 200 x 90) would break it.
const BOUND_PAGES: u64 = 64;

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()
    })
}

/// The default centre's queues repeated (new ids) up to `queues`.
fn scenario(queues: usize) -> Scenario {
    let mut scenario = Scenario::default_centre();
    let base = scenario.queues.clone();
    scenario.queues.clear();
    for i in 0..queues {
        let mut q = base[i % base.len()].clone();
        q.id = format!("{:08x}-0000-4000-8000-{:012x}", i, i);
        q.name = format!("{} {}", q.name, i / base.len() + 1);
        scenario.queues.push(q);
    }
    scenario
}

fn main() -> ExitCode {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (queues, days) = if measuring { (QUEUES, DAYS) } else { (20, 7) };
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let queues = env("EMULATOR_MEMORY_QUEUES").unwrap_or(queues);
    let days = env("EMULATOR_MEMORY_DAYS").map_or(days, |d: usize| d as i64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(queues, days, measuring))
}

async fn run(queues: usize, days: i64, measuring: bool) -> ExitCode {
    let emulator = pages::instant_emulator_serving(scenario(queues)).await;
    let http = reqwest::Client::new();
    let url = |path: &str| emulator.base_url().join(path).unwrap();
    let base = emulator.base_url();
    let token =
        pages::access_token(&http, base, emulator.client_id(), emulator.client_secret()).await;
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
    let end = start + chrono::Duration::days(days);
    let query = json!({
        "interval": format!("{}/{}", start.to_rfc3339(), end.to_rfc3339()),
        "granularity": "PT1H",
        "groupBy": ["queueId", "usedRouting"],
        "metrics": ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel", "nTransferred"],
        "pageSize": PAGE_SIZE,
    });
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let before = status_kib("VmHWM");
    let started = Instant::now();
    let id = pages::submit_job(&http, base, &token, &query).await;
    let (mut pages, mut groups, mut bytes, mut largest) = (0usize, 0usize, 0usize, 0usize);
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("api/v2/analytics/conversations/aggregates/jobs/{id}/results");
        if let Some(c) = &cursor {
            path = format!("{path}?cursor={c}");
        }
        let body = http
            .get(url(&path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: Value = serde_json::from_slice(&body).unwrap();
        pages += 1;
        groups += page["results"].as_array().map_or(0, Vec::len);
        bytes += body.len();
        largest = largest.max(body.len());
        cursor = page["cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    let elapsed = started.elapsed();
    let after = status_kib("VmHWM");
    let held = emulator.stats().peak_groups_held;
    let rise_mib = match (before, after) {
        (Some(b), Some(a)) => Some(a.saturating_sub(b) / 1024),
        _ => None,
    };
    println!(
        "emulator_memory: {queues} queues x {days} days PT1H, {groups} groups in {pages} pages of {PAGE_SIZE}, {:.1} MB of JSON (largest page {:.1} MB), {:.1} s",
        bytes as f64 / 1e6,
        largest as f64 / 1e6,
        elapsed.as_secs_f64()
    );
    println!(
        "emulator_memory: peak RSS {} MiB, rise during the job {} MiB, at most {held} groups held at once",
        after.map_or("?".to_owned(), |a| (a / 1024).to_string()),
        rise_mib.map_or("?".to_owned(), |r| r.to_string()),
    );
    let bound_mib = BOUND_PAGES * largest as u64 / (1024 * 1024);
    let bounded = held as usize <= PAGE_SIZE + 1 && rise_mib.is_none_or(|r| r <= bound_mib);
    if measuring && !bounded {
        eprintln!(
            "emulator_memory: the bound ({bound_mib} MiB, {BOUND_PAGES} largest pages; {} groups) does not hold",
            PAGE_SIZE + 1
        );
        return ExitCode::FAILURE;
    }
    assert!(groups > PAGE_SIZE, "the job spans several pages");
    // The smoke run (`cargo test --benches`) checks the part of the bound that does not
    // depend on the machine: the emulator never held more than a page of groups.
    assert!(
        held as usize <= PAGE_SIZE + 1,
        "the emulator held {held} groups at once, more than a page ({PAGE_SIZE}) plus one"
    );
    ExitCode::SUCCESS
}
