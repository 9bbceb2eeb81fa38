//! The client's side of a live comparison, from the emulator's results pages to the
//! `Comparison`: CPU time beside `serde_json::from_slice::<IgnoredAny>` over the same bytes
//! (the floor: validating the JSON and keeping nothing), and peak heap beside the largest page
//! plus the cell table.
//!
//! `cargo bench --bench comparison_fetch` measures 200 queues x 2 strategies (a 50:50
//! concurrent split of Standard and Predictive) x 60 days at `PT1H`: about 576k buckets. Run
//! without `--bench` (as `cargo test --benches` does) it measures 4 queues over 2 days.
//!
//! The pages are fetched first, as the emulator serves them, and the emulator is stopped;
//! then each step runs on this thread, as an evaluation runs it: each page decoded into the
//! metric table, then `compare_table` reading the table's buckets in place as the cells.
//! Time is this thread's CPU time: the floor and the client alternate for five rounds (best
//! of each, and the median of the rounds' ratios), the steps alone are best of three. Heap is counted by a counting global allocator (this
//! program's only): the peak above what was held before the step (the pages themselves), so
//! it is what decoding, the metric table (which is the cell table: one row per cell and
//! strategy) and the comparison add. See `docs/performance.md`.

#[path = "support/emulator_pages.rs"]
mod pages;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use genesys_routing_eval::comparison::{ComparisonConfig, compare_table};
use genesys_routing_eval::metrics::MetricTable;
use genesys_routing_eval::sources::aggregates::{
    ROUTING_METRICS, TableLayout, decode_results_page_into,
};
use routing_eval_emulator::{Emulator, Scenario};
use serde::de::IgnoredAny;
use serde_json::{Value, json};

/// Heap in use and its peak, in bytes.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller upholds `alloc`'s contract, passed on as it is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// (queues, days) measured with `--bench`, and without it.
const MEASURED: (usize, u32) = (200, 60);
const SMOKE: (usize, u32) = (4, 2);
/// Groups per results page.
const PAGE_SIZE: u32 = 8;

/// The default centre's first queue, `queues` times, each a 50:50 split of Standard and
/// Predictive without fallbacks.
fn scenario(queues: usize) -> Scenario {
    let mut doc = serde_json::to_value(Scenario::default_centre()).expect("a scenario");
    let template = doc["queues"][0].clone();
    let list: Vec<Value> = (0..queues)
        .map(|i| {
            let mut queue = template.clone();
            queue["id"] = json!(format!("5c0f{i:04x}-0000-4000-8000-bench0000000"));
            queue["name"] = json!(format!("Bench queue {i}"));
            queue["routing"] =
                json!({"type": "split", "shares": {"Standard": 0.5, "Predictive": 0.5}});
            queue["fallbacks"] = json!([]);
            queue
        })
        .collect();
    doc["queues"] = Value::Array(list);
    Scenario::from_json(&doc.to_string()).expect("the bench scenario is valid")
}

fn fetch(queues: usize, days: u32) -> Vec<Vec<u8>> {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let emulator = Emulator::builder()
            .scenario(scenario(queues))
            .job_latency(Duration::ZERO)
            .start()
            .await
            .expect("emulator starts");
        pages::fetch_pages(&emulator, &pages::query(days, "PT1H", PAGE_SIZE)).await
    })
}

/// Every page decoded into the metric table, as `Aggregates::run` does.
fn decode(pages: &[Vec<u8>]) -> MetricTable {
    let layout = TableLayout::new("usedRouting")
        .within(["queueId"])
        .requested(ROUTING_METRICS);
    let mut table = layout.empty_table();
    for page in pages {
        decode_results_page_into(page, &mut table, &layout).expect("a results page");
    }
    table
}

/// The comparison on the table's buckets as cells (the default: within `queueId`, by bucket).
fn compare(table: &MetricTable) -> usize {
    compare_table(&ComparisonConfig::default(), table, chrono_tz::UTC)
        .expect("a comparison")
        .results
        .len()
}

/// The client's work on the fetched pages: decode into the table, then compare.
fn client(pages: &[Vec<u8>]) -> (MetricTable, usize) {
    let table = decode(pages);
    let results = compare(&table);
    (table, results)
}

/// This thread's CPU time so far (`/proc/thread-self/schedstat`, in nanoseconds), or the
/// wall clock where the kernel does not say: time on a busy machine counts only what this
/// thread ran.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_else(|| START.with(Instant::elapsed))
}

thread_local! {
    static START: Instant = Instant::now();
}

/// Rounds of (floor, client).
const ROUNDS: usize = 5;

fn once(f: impl FnOnce()) -> Duration {
    let start = cpu_time();
    f();
    cpu_time() - start
}

fn best_of_three(mut f: impl FnMut()) -> Duration {
    (0..3).map(|_| once(&mut f)).min().expect("three runs")
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let (queues, days) = if measuring { MEASURED } else { SMOKE };
    let pages = fetch(queues, days);
    let bytes: usize = pages.iter().map(Vec::len).sum();
    let largest = pages.iter().map(Vec::len).max().unwrap_or(0);

    // The floor and the client alternate, so that both see the same load on a shared
    // machine; the ratio is the median of the rounds' ratios.
    let mut rounds: Vec<(Duration, Duration)> = (0..ROUNDS)
        .map(|_| {
            let floor = once(|| {
                for page in &pages {
                    black_box(serde_json::from_slice::<IgnoredAny>(page).expect("JSON"));
                }
            });
            let work = once(|| {
                black_box(client(&pages));
            });
            (floor, work)
        })
        .collect();
    let floor = rounds.iter().map(|r| r.0).min().expect("rounds");
    let work = rounds.iter().map(|r| r.1).min().expect("rounds");
    rounds.sort_by(|a, b| {
        let ratio = |r: &(Duration, Duration)| r.1.as_secs_f64() / r.0.as_secs_f64();
        ratio(a).total_cmp(&ratio(b))
    });
    let median = rounds[rounds.len() / 2];
    let ratio = median.1.as_secs_f64() / median.0.as_secs_f64();
    let decoding = best_of_three(|| {
        black_box(decode(&pages));
    });
    let decoded = decode(&pages);
    let comparing = best_of_three(|| {
        black_box(compare(&decoded));
    });
    drop(decoded);

    let before = CURRENT.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let (table, results) = client(&pages);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    let held = CURRENT.load(Ordering::Relaxed) - before;
    let buckets = table.bucket_count();
    drop(table);

    println!(
        "comparison_fetch: {queues} queues x 2 strategies x {days} days at PT1H: {} pages, {:.1} MiB of JSON, largest page {:.2} MiB, {buckets} (cell, strategy) rows, {results} results",
        pages.len(),
        mib(bytes),
        mib(largest),
    );
    println!(
        "cpu: client {:.0} ms (decode {:.0} ms, compare {:.0} ms), IgnoredAny floor {:.0} ms (best of {ROUNDS}): {:.2}x the floor; median of {ROUNDS} alternating rounds {:.2}x (target 2x)",
        work.as_secs_f64() * 1e3,
        decoding.as_secs_f64() * 1e3,
        comparing.as_secs_f64() * 1e3,
        floor.as_secs_f64() * 1e3,
        work.as_secs_f64() / floor.as_secs_f64(),
        ratio
    );
    println!(
        "heap: peak {:.1} MiB above the pages; held after: the metric table (the cells) {:.1} MiB; bound 2 x largest page + cells = {:.1} MiB",
        mib(peak),
        mib(held),
        mib(2 * largest + held)
    );
}
