//! KPI derivation over a large metric table: 10,000 strategies x 30 daily buckets, merged
//! per strategy (`StrategyMetrics::totals`) then derived (`Kpis::from_counts`). Beside it, the
//! same derivation with each strategy looked up by id (`MetricTable::strategy`) as the
//! evaluation report does, and building the table with `MetricTable::push` as the sources do,
//! which show what a linear lookup per strategy costs at this size. See `docs/performance.md`.

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_routing_eval::MetricTable;
use genesys_routing_eval::metrics::{Bucket, Kpis, RawCounts, StrategyMetrics};

const BUCKETS: usize = 30;

/// Plausible counts for one strategy-day, varied by a cheap deterministic hash.
fn counts(strategy: usize, day: usize) -> RawCounts {
    let h = (strategy as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (day as u64 * 0x85EB_CA6B);
    let offered = 20 + h % 400;
    let abandoned = (h >> 9) % (offered / 8 + 1);
    let answered = offered - abandoned;
    RawCounts {
        offered: Some(offered),
        answered: Some(answered),
        answer_time_ms: Some(answered as f64 * (8_000.0 + (h >> 17) as f64 % 30_000.0)),
        abandoned: (abandoned > 0).then_some(abandoned),
        handled: Some(answered),
        handle_time_ms: Some(answered as f64 * (240_000.0 + (h >> 23) as f64 % 200_000.0)),
        service_level_met: Some((answered * 4 / 5) as f64),
        service_level_total: Some(answered as f64),
        transferred: Some((h >> 31) % (answered / 10 + 1)),
        ..RawCounts::default()
    }
}

fn interval(day: usize) -> String {
    format!(
        "2024-05-{:02}T00:00:00.000Z/2024-05-{:02}T00:00:00.000Z",
        day + 1,
        day + 2
    )
}

fn strategy_id(i: usize) -> String {
    format!("queue-{i:05}-0f3c9a2e-5b7d-4e21-9c1a-{i:012}")
}

/// The table built from whole strategies (no lookups), so the setup itself stays linear;
/// `from_strategies` indexes it as `push` would.
fn table(strategies: usize) -> MetricTable {
    MetricTable::from_strategies(
        (0..strategies)
            .map(|s| StrategyMetrics {
                strategy_id: strategy_id(s),
                buckets: (0..BUCKETS)
                    .map(|d| Bucket::new(interval(d), counts(s, d)))
                    .collect(),
            })
            .collect(),
    )
}

fn derive(c: &mut Criterion) {
    let mut group = c.benchmark_group("kpi_derivation");
    for strategies in [1_000, 10_000] {
        let table = table(strategies);
        group.throughput(Throughput::Elements((strategies * BUCKETS) as u64));
        group.bench_with_input(
            BenchmarkId::new("totals_then_kpis", strategies),
            &table,
            |b, t| b.iter(|| t.strategies().map(Kpis::of_strategy).collect::<Vec<Kpis>>()),
        );
        group.bench_with_input(
            BenchmarkId::new("lookup_by_id_then_kpis", strategies),
            &table,
            |b, t| {
                b.iter(|| {
                    t.strategies()
                        .map(|s| {
                            let found = t.strategy(black_box(s.id())).unwrap();
                            Kpis::from_counts(&found.totals())
                        })
                        .collect::<Vec<Kpis>>()
                })
            },
        );
    }
    group.finish();
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("metric_table_push");
    group.sample_size(10);
    for strategies in [1_000, 10_000] {
        let rows: Vec<(String, String, RawCounts)> = (0..BUCKETS)
            .flat_map(|d| (0..strategies).map(move |s| (strategy_id(s), interval(d), counts(s, d))))
            .collect();
        group.throughput(Throughput::Elements(rows.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(strategies), &rows, |b, rows| {
            b.iter_batched(
                || rows.clone(),
                |rows| {
                    let mut table = MetricTable::new();
                    for (id, interval, counts) in rows {
                        table.push(&id, interval, counts);
                    }
                    table
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = derive, build
}
criterion_main!(benches);
