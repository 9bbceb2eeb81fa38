//! Comparison benchmark: 200 queues x 2 strategies x 1440 hourly cells (60 days at `PT1H`,
//! 576k rows), built in memory, to show the engine is not the bottleneck of a live comparison
//! (the fetch of those rows is). See `docs/performance.md`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use genesys_routing_eval::comparison::{CellRow, CellTable, ComparisonConfig, compare};
use genesys_routing_eval::metrics::RawCounts;

const QUEUES: u64 = 200;
const HOURS: u64 = 1440;

/// Plausible counts for one queue, hour and strategy, from a cheap deterministic hash.
fn counts(queue: u64, hour: u64, strategy: u64) -> RawCounts {
    let h =
        (queue * 1_000_003 + hour * 7_919 + strategy * 104_729).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let offered = 5 + (h >> 58);
    let abandoned = (h >> 20) % (offered / 4 + 1);
    let answered = offered - abandoned;
    RawCounts {
        offered: Some(offered),
        answered: Some(answered),
        abandoned: Some(abandoned),
        handled: Some(answered),
        answer_time_ms: Some((answered * (10_000 + (h >> 40) % 30_000)) as f64),
        handle_time_ms: Some((answered * (200_000 + (h >> 30) % 200_000)) as f64),
        service_level_met: Some(((h >> 10) % (offered + 1)) as f64),
        service_level_total: Some(offered as f64),
        transferred: Some((h >> 5) % (answered / 5 + 1)),
        ..RawCounts::default()
    }
}

fn rows() -> Vec<CellRow> {
    let mut rows = Vec::with_capacity((QUEUES * HOURS * 2) as usize);
    for queue in 0..QUEUES {
        let q = format!("queue-{queue:03}");
        for hour in 0..HOURS {
            let bucket = format!("2026-10-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24);
            for (s, strategy) in ["Standard", "Predictive"].into_iter().enumerate() {
                rows.push(CellRow::new(
                    [q.clone(), bucket.clone()],
                    strategy,
                    counts(queue, hour, s as u64),
                ));
            }
        }
    }
    rows
}

fn comparison(c: &mut Criterion) {
    let rows = rows();
    let table: CellTable = rows.iter().cloned().collect();
    let config = ComparisonConfig::default();
    let mut group = c.benchmark_group("comparison");
    group.sample_size(10);
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("build_table_576k_rows", |b| {
        b.iter_batched(
            || rows.clone(),
            |rows| black_box(rows.into_iter().collect::<CellTable>()),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("compare_576k_rows_5_kpis", |b| {
        b.iter(|| compare(&config, black_box(&table)).unwrap())
    });
    // For scale: only validating the same rows as JSON (the comparison file's form, about
    // 150 MB), which any live fetch of them costs at least.
    let json = serde_json::to_vec(&rows).unwrap();
    println!("rows as JSON: {} MB", json.len() / 1_000_000);
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function("validate_same_rows_json_ignored_any", |b| {
        b.iter(|| serde_json::from_slice::<serde::de::IgnoredAny>(black_box(&json)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, comparison);
criterion_main!(benches);
