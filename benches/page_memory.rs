//! Peak memory of `Aggregates::run` over ~50 MB of results in many pages: each page is decoded
//! straight into the metric table as it arrives (never as a whole `ResultsPage`), so the rise
//! in peak resident memory stays under twice the largest page plus the metric table.
//!
//! The emulator runs in a child process (this program with `--serve`), so that its own copy
//! of the results does not count. The peak is `VmHWM` from `/proc/self/status`, reset through
//! `/proc/self/clear_refs` just before the run. `cargo bench --bench page_memory` measures
//! ~50 MB; run without `--bench` (as `cargo test --benches` does) it reports on a small job.
//! When measuring (`--bench`) it exits non-zero if the bound does not hold. It also prints what
//! the largest page would take decoded as a `ResultsPage`, the form `run` avoids. See
//! `docs/performance.md`.

#[path = "support/emulator_pages.rs"]
mod pages;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use genesys_routing_eval::progress::{Progress, ProgressEvent};
use genesys_routing_eval::sources::aggregates::{
    AggregateGroup, AggregationQuery, IntervalData, MetricValue, ROUTING_METRICS, ResultsPage,
    decode_results_page,
};
use genesys_routing_eval::{Client, MetricTable};
use routing_eval_emulator::Emulator;

/// Days of quarter-hour buckets, one group per page: ~50 MB of results when measuring.
const MEASURED_DAYS: u32 = 60;

/// Besides [`ROUTING_METRICS`], the handling-time breakdown a dashboard would ask for too; the
/// table keeps only what KPIs need, the rest is decoded and dropped page by page.
const MORE_METRICS: &[&str] = &[
    "nConversations",
    "nConnected",
    "nBlindTransferred",
    "nConsultTransferred",
    "nOverSla",
    "tShortAbandon",
    "tAcd",
    "tWait",
    "tAlert",
    "tTalk",
    "tTalkComplete",
    "tHeld",
    "tHeldComplete",
    "tAcw",
];
const SMOKE_DAYS: u32 = 2;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        serve();
        return ExitCode::SUCCESS;
    }
    let measuring = args.iter().any(|a| a == "--bench");
    let days = std::env::var("PAGE_MEMORY_DAYS")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(if measuring { MEASURED_DAYS } else { SMOKE_DAYS });
    measure(days, measuring)
}

/// Serves an emulator with instant jobs until standard input closes.
fn serve() {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let emulator = runtime.block_on(async {
        Emulator::builder()
            .job_latency(Duration::ZERO)
            .start()
            .await
            .expect("emulator starts")
    });
    println!(
        "{} {} {}",
        emulator.base_url(),
        emulator.client_id(),
        emulator.client_secret()
    );
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(emulator);
}

/// What a decoded page holds in memory, allocator chunks included (BTreeMap nodes counted
/// as their entries only, so this slightly understates).
fn decoded_bytes(page: &ResultsPage) -> usize {
    chunk(page.results.capacity() * size_of::<AggregateGroup>())
        + page
            .results
            .iter()
            .map(|g| {
                g.group
                    .iter()
                    .map(|(k, v)| {
                        2 * size_of::<String>() + chunk(k.capacity()) + chunk(v.capacity())
                    })
                    .sum::<usize>()
                    + chunk(g.data.capacity() * size_of::<IntervalData>())
                    + g.data
                        .iter()
                        .map(|d| {
                            chunk(d.interval.capacity())
                                + chunk(d.metrics.capacity() * size_of::<MetricValue>())
                                + d.metrics
                                    .iter()
                                    .map(|m| {
                                        chunk(m.metric.capacity())
                                            + m.qualifier
                                                .as_ref()
                                                .map_or(0, |q| chunk(q.capacity()))
                                    })
                                    .sum::<usize>()
                        })
                        .sum::<usize>()
            })
            .sum::<usize>()
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// Resets `VmHWM` to the current resident size (Linux 4.0 and later).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("writing /proc/self/clear_refs");
}

/// Heap bytes of an allocation of `n` bytes under glibc malloc (8-byte header, 16-byte
/// chunks, 32 at least).
fn chunk(n: usize) -> usize {
    if n == 0 {
        0
    } else {
        (n + 8).div_ceil(16).max(2) * 16
    }
}

/// What the metric table holds in memory.
fn table_bytes(table: &MetricTable) -> usize {
    table.heap_bytes()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn measure(days: u32, enforce: bool) -> ExitCode {
    let mut child = Command::new(std::env::current_exe().expect("current exe"))
        .arg("--serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("emulator child starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("child stdout"))
        .read_line(&mut line)
        .expect("emulator prints its address");
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [base, id, secret] = parts[..] else {
        panic!("unexpected emulator line {line:?}");
    };
    let base = url::Url::parse(base).expect("base url");
    let code = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(run(&base, id, secret, days, enforce));
    drop(child.stdin.take());
    let _ = child.wait();
    code
}

async fn run(base: &url::Url, id: &str, secret: &str, days: u32, enforce: bool) -> ExitCode {
    let client = Client::builder()
        .api_base(base.as_str())
        .credentials(id, secret.to_owned())
        .build()
        .expect("client");
    let metrics: Vec<&str> = ROUTING_METRICS
        .iter()
        .chain(MORE_METRICS)
        .copied()
        .collect();
    let query_json = pages::query_with_metrics(days, "PT15M", 1, &metrics);
    let query: AggregationQuery = serde_json::from_value(query_json.clone()).expect("query");
    let warm_up: AggregationQuery =
        serde_json::from_value(pages::query(1, "P1D", 1)).expect("query");
    // Token, connection pool and allocator arenas settle before the baseline.
    client
        .aggregates()
        .run(&warm_up, "usedRouting", &Progress::none())
        .await
        .expect("warm-up run");

    let fetched = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&fetched);
    let progress = Progress::with_observer(move |e| {
        if matches!(e, ProgressEvent::PageFetched { .. }) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    });
    reset_peak();
    let baseline = status_kib("VmRSS:") * 1024;
    let started = Instant::now();
    let run = client
        .aggregates()
        .run(&query, "usedRouting", &progress)
        .await
        .expect("measured run");
    let took = started.elapsed();
    let peak = status_kib("VmHWM:") * 1024;
    let rise = peak.saturating_sub(baseline);
    let table = table_bytes(&run.table) as u64;
    let buckets: usize = run.table.bucket_count();

    // Only now, outside the measured run: the raw pages, for their sizes.
    let raw = pages::fetch_pages_from(base, id, secret, &query_json).await;
    let total: u64 = raw.iter().map(|p| p.len() as u64).sum();
    let largest = raw.iter().map(|p| p.len() as u64).max().unwrap_or(0);
    let bound = 2 * largest + table;

    let decoded_largest = raw
        .iter()
        .map(|p| decoded_bytes(&decode_results_page(p).expect("page decodes")) as u64)
        .max()
        .unwrap_or(0);

    println!(
        "results: {days} days of PT15M buckets, {} metrics, grouped by usedRouting and queueId",
        metrics.len()
    );
    println!(
        "pages: {} fetched by the run, {} raw; {:.1} MiB in all, largest {:.2} MiB",
        fetched.load(Ordering::Relaxed),
        raw.len(),
        mib(total),
        mib(largest)
    );
    println!(
        "metric table: {} strategies, {buckets} buckets, {:.2} MiB",
        run.table.strategies().len(),
        mib(table)
    );
    println!(
        "peak RSS rise during the run: {:.2} MiB (baseline {:.2} MiB, peak {:.2} MiB), run took {took:.2?}",
        mib(rise),
        mib(baseline),
        mib(peak)
    );
    println!(
        "bound 2 x largest page + table: {:.2} MiB; rise / bound = {:.2}; rise / all results = {:.2}",
        mib(bound),
        rise as f64 / bound as f64,
        rise as f64 / total as f64
    );
    println!(
        "largest page decoded (ResultsPage): {:.2} MiB = {:.2} x its JSON",
        mib(decoded_largest),
        decoded_largest as f64 / largest as f64
    );
    println!(
        "rise - table = {:.2} MiB = {:.2} x the largest page",
        mib(rise.saturating_sub(table)),
        rise.saturating_sub(table) as f64 / largest as f64
    );
    if rise <= bound {
        println!("page_memory: bound holds");
        ExitCode::SUCCESS
    } else {
        println!("page_memory: bound exceeded");
        if enforce {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }
}
