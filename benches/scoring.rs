//! Scoring benchmarks: the engine at 1k, 100k and 1M strategies beside sorting as many f64
//! (the target is within 3x of the sort), and the whole `routing-eval score` path (parse,
//! score, serialise) on a 1M-row file. See `docs/performance.md`.

#[path = "support/score_input.rs"]
mod support;

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use genesys_routing_eval::score_file::{Options, ScoreFile, write_json_with};
use genesys_routing_eval::scoring::{Normalization, ScoringConfig, score};

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn cohort(rows: usize) -> genesys_routing_eval::scoring::Cohort {
    ScoreFile::from_slice(support::score_input(rows, 7).as_bytes())
        .expect("generated input parses")
        .cohort
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("scoring");
    for rows in SIZES {
        if rows >= 1_000_000 {
            group.sample_size(10);
        }
        group.throughput(Throughput::Elements(rows as u64));
        let cohort = cohort(rows);
        let values: Vec<f64> = cohort.column("avgSpeedOfAnswer").unwrap().to_vec();
        let min_max = ScoringConfig::default();
        let rank = ScoringConfig::default().with_normalization(Normalization::Rank);

        group.bench_with_input(BenchmarkId::new("min_max", rows), &cohort, |b, cohort| {
            b.iter(|| score(&min_max, black_box(cohort)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("rank", rows), &cohort, |b, cohort| {
            b.iter(|| score(&rank, black_box(cohort)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("sort_f64", rows), &values, |b, values| {
            b.iter_batched_ref(
                || values.clone(),
                |v| v.sort_unstable_by(f64::total_cmp),
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn cli_path(c: &mut Criterion) {
    let mut group = c.benchmark_group("score_cli_path");
    group.sample_size(10);
    let rows = 1_000_000;
    let input = support::score_input(rows, 7);
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.bench_function(BenchmarkId::new("parse_score_serialise", rows), |b| {
        b.iter(|| {
            // As `routing-eval score` runs it: a second thread allowed.
            let options = Options::new().parallel(true);
            let file = ScoreFile::from_slice_with(black_box(input.as_bytes()), options).unwrap();
            let config = file.config_or_default();
            let scores = score(&config, &file.cohort).unwrap();
            write_json_with(&scores, std::io::sink(), options).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, engine, cli_path);
criterion_main!(benches);
