//! Decoding aggregates results pages through the crate's own path (`decode_results_page`,
//! the decoder `Aggregates::results` uses) in MB/s, beside `serde_json` into `IgnoredAny` (the
//! floor: parsing JSON while keeping nothing), plain `serde_json` into `ResultsPage` (the cost
//! of naming JSON paths in errors), and decode plus `add_groups` (what `Aggregates::run` does
//! with each page). Pages are the emulator's, as served. See `docs/performance.md`.

#[path = "support/emulator_pages.rs"]
mod pages;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_routing_eval::MetricTable;
use genesys_routing_eval::sources::aggregates::{
    ResultsPage, TableLayout, add_groups, decode_results_page,
};
use serde::de::IgnoredAny;

/// Page sets: (name, days, granularity, groups per page).
const SETS: [(&str, u32, &str, u32); 2] = [
    ("daily_30d_5_groups_per_page", 30, "P1D", 5),
    ("quarter_hour_30d_1_group_per_page", 30, "PT15M", 1),
];

fn page_sets() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let emulator = pages::instant_emulator().await;
        let mut sets = Vec::new();
        for (name, days, granularity, page_size) in SETS {
            let query = pages::query(days, granularity, page_size);
            sets.push((name, pages::fetch_pages(&emulator, &query).await));
        }
        sets
    })
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("results_page_decode");
    for (name, pages) in page_sets() {
        let bytes: usize = pages.iter().map(Vec::len).sum();
        let largest = pages.iter().map(Vec::len).max().unwrap_or(0);
        eprintln!(
            "{name}: {} pages, {bytes} bytes, largest page {largest} bytes",
            pages.len()
        );
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(
            BenchmarkId::new("ignored_any_floor", name),
            &pages,
            |b, p| {
                b.iter(|| {
                    for page in p {
                        black_box(serde_json::from_slice::<IgnoredAny>(page).unwrap());
                    }
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("serde_json_typed", name),
            &pages,
            |b, p| {
                b.iter(|| {
                    for page in p {
                        black_box(serde_json::from_slice::<ResultsPage>(page).unwrap());
                    }
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("crate_decode", name), &pages, |b, p| {
            b.iter(|| {
                for page in p {
                    black_box(decode_results_page(page).unwrap());
                }
            })
        });
        group.bench_with_input(
            BenchmarkId::new("crate_decode_into_table", name),
            &pages,
            |b, p| {
                b.iter(|| {
                    let mut table = MetricTable::new();
                    for page in p {
                        let page = decode_results_page(page).unwrap();
                        add_groups(&mut table, &page.results, &TableLayout::new("usedRouting"));
                    }
                    black_box(table)
                })
            },
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = decode
}
criterion_main!(benches);
