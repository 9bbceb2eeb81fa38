//! Scoring: the shared vectors, the properties SCORING.md promises, KPI derivation on
//! hand-worked examples, confidence, and the `routing-eval score` command.

use std::path::Path;

use genesys_routing_eval::ErrorKind;
use genesys_routing_eval::ValidationError;
use genesys_routing_eval::metrics::{Kpi, Kpis, MeanParts, MetricTable, RawCounts};
use genesys_routing_eval::score_file::ScoreFile;
use genesys_routing_eval::scoring::{
    Cohort, Confidence, Direction, Interval, KpiWeight, MissingPolicy, Normalization, Scores,
    ScoringConfig, score,
};
use genesys_routing_eval::sources::aggregates::TableLayout;
use proptest::prelude::*;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/scoring");

/// The repository keeps its own copy of the scoring vectors, which the tests read; the copy must
/// equal the originals where those are present (the check skips otherwise).
#[test]
fn the_repository_copy_of_the_scoring_vectors_equals_the_shared_vectors() {
    crate::support::assert_copy_equals_shared(Path::new(VECTORS), "vectors/scoring");
}

/// `scripts/score-vs-pandas.sh` times `score` against the repository's copy of the tutorial's
/// pandas scoring; the copy must be the tutorial's, byte for byte, where the original is there.
#[test]
fn the_repository_copy_of_the_tutorial_scoring_equals_the_shared_reference() {
    let copy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/reference/tutorial_scoring.py"
    );
    assert!(Path::new(copy).is_file(), "{copy} is missing");
    crate::support::assert_copy_equals_shared(Path::new(copy), "reference/tutorial_scoring.py");
}

fn cohort_of(rows: &Value) -> Cohort {
    let rows = rows.as_array().expect("rows is a list");
    let mut cohort = Cohort::with_capacity(rows.len());
    for row in rows {
        let id = row["strategyId"].as_str().expect("strategyId");
        let metrics = row["metrics"].as_object().expect("metrics object");
        cohort.push(
            id,
            metrics
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_f64().unwrap_or(f64::NAN))),
        );
    }
    cohort
}

fn check_against_expected(name: &str, scores: &Scores, expected: &[Value]) {
    assert_eq!(scores.len(), expected.len(), "{name}: row count");
    for (row, want) in scores.iter().zip(expected) {
        let at = format!("{name} row {} ({})", row.index, row.strategy_id);
        assert_eq!(
            row.strategy_id,
            want["strategyId"].as_str().unwrap(),
            "{at}"
        );
        match want["score"].as_f64() {
            Some(s) => {
                let got = row
                    .score
                    .unwrap_or_else(|| panic!("{at}: unscored, want {s}"));
                assert!((got - s).abs() <= 1e-9, "{at}: score {got}, want {s}");
            }
            None => assert_eq!(row.score, None, "{at}: want unscored"),
        }
        let coverage = want["coverage"].as_f64().unwrap();
        assert!(
            (row.coverage - coverage).abs() <= 1e-9,
            "{at}: coverage {}, want {coverage}",
            row.coverage
        );
        assert_eq!(
            row.percentile_rank,
            want["percentileRank"].as_f64(),
            "{at}: percentile rank"
        );
    }
}

#[test]
fn every_shared_vector_scores_as_expected() {
    for path in crate::support::vector_files(Path::new(VECTORS)) {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let name = doc["name"].as_str().unwrap_or("?").to_owned();
        let config: ScoringConfig = serde_json::from_value(doc["config"].clone())
            .unwrap_or_else(|e| panic!("{name}: config: {e}"));
        let expected = doc["expected"].as_array().expect("expected list");

        let scores = score(&config, &cohort_of(&doc["rows"])).unwrap();
        check_against_expected(&name, &scores, expected);

        // The file reader the CLI uses must agree with the row-by-row path.
        let file = ScoreFile::from_slice(text.as_bytes()).unwrap();
        assert_eq!(file.config.as_ref(), Some(&config), "{name}");
        let from_file = score(&config, &file.cohort).unwrap();
        check_against_expected(&format!("{name} (file)"), &from_file, expected);
    }
}

#[test]
fn default_config_is_the_tutorial_weights_with_speed_of_answer_inverted() {
    let config = ScoringConfig::default();
    let kpis: Vec<(&str, f64, Direction)> = config
        .kpis
        .iter()
        .map(|k| (k.metric.as_str(), k.weight, k.direction))
        .collect();
    assert_eq!(
        kpis,
        [
            ("handledCalls", 0.3, Direction::HigherIsBetter),
            ("avgSpeedOfAnswer", 0.4, Direction::LowerIsBetter),
            ("abandonedCalls", 0.3, Direction::LowerIsBetter),
        ]
    );
    assert_eq!(config.normalization, Normalization::MinMax);
    assert_eq!(config.missing, MissingPolicy::Renormalize);
    assert_eq!(config.min_offered, 30);
    config.validate().unwrap();
    ScoringConfig::rates().validate().unwrap();
}

#[test]
fn config_serialises_in_the_vector_format() {
    let json = serde_json::to_value(ScoringConfig::rates().with_normalization(Normalization::Rank))
        .unwrap();
    assert_eq!(json["normalization"], "rank");
    assert_eq!(json["missing"], "renormalize");
    assert_eq!(json["kpis"][1]["metric"], "abandonRate");
    assert_eq!(json["kpis"][1]["direction"], "lower_is_better");
    let back: ScoringConfig = serde_json::from_value(json).unwrap();
    assert_eq!(
        back,
        ScoringConfig::rates().with_normalization(Normalization::Rank)
    );
}

#[test]
fn the_rates_preset_does_not_reward_sheer_volume() {
    let mut cohort = Cohort::new();
    // Huge but poor against small but excellent.
    cohort.push(
        "Huge",
        [
            ("handledCalls", 10_000.0),
            ("serviceLevel", 0.5),
            ("abandonRate", 0.2),
            ("avgSpeedOfAnswer", 60.0),
            ("avgHandleTime", 400.0),
        ],
    );
    cohort.push(
        "Small",
        [
            ("handledCalls", 100.0),
            ("serviceLevel", 0.9),
            ("abandonRate", 0.02),
            ("avgSpeedOfAnswer", 8.0),
            ("avgHandleTime", 300.0),
        ],
    );
    let rates = score(&ScoringConfig::rates(), &cohort).unwrap();
    assert_eq!(rates.ranked()[0].strategy_id, "Small");
    assert_eq!(rates.get(1).unwrap().score, Some(1.0));
}

#[test]
fn invalid_config_reports_every_problem_as_kpi_errors() {
    let config = ScoringConfig {
        kpis: vec![
            KpiWeight::new("handledCalls", -1.0, Direction::HigherIsBetter),
            KpiWeight::new("handledCalls", f64::NAN, Direction::HigherIsBetter),
            KpiWeight::new("", 1.0, Direction::LowerIsBetter),
        ],
        ..ScoringConfig::default()
    };
    let err = score(&config, &Cohort::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let problems = err.validation();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, ValidationError::Kpi { .. }))
    );
    let text = err.to_string();
    assert!(text.contains("weight -1"), "{text}");
    assert!(text.contains("weight NaN"), "{text}");
    assert!(text.contains("more than once"), "{text}");
    assert!(text.contains("empty metric name"), "{text}");

    let empty = ScoringConfig {
        kpis: vec![],
        ..ScoringConfig::default()
    };
    assert!(
        empty
            .validate()
            .unwrap_err()
            .to_string()
            .contains("no KPIs")
    );
    let zero = ScoringConfig {
        kpis: vec![KpiWeight::new("a", 0.0, Direction::HigherIsBetter)],
        ..ScoringConfig::default()
    };
    assert!(
        zero.validate()
            .unwrap_err()
            .to_string()
            .contains("add up to 0")
    );
}

#[test]
fn weights_whose_sum_overflows_are_refused_instead_of_making_coverage_nan() {
    let huge = ScoringConfig {
        kpis: vec![
            KpiWeight::new("handledCalls", f64::MAX, Direction::HigherIsBetter),
            KpiWeight::new("abandonedCalls", f64::MAX, Direction::LowerIsBetter),
        ],
        ..ScoringConfig::default()
    };
    let mut cohort = Cohort::new();
    cohort.push("A", [("handledCalls", 1.0), ("abandonedCalls", 2.0)]);

    let err = score(&huge, &cohort).unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("scale them down"), "{err}");
    let fine = ScoringConfig {
        kpis: vec![KpiWeight::new(
            "handledCalls",
            f64::MAX,
            Direction::HigherIsBetter,
        )],
        ..ScoringConfig::default()
    };
    let scores = score(&fine, &cohort).unwrap();
    assert_eq!(scores.iter().next().unwrap().coverage, 1.0);
}

#[test]
fn reject_policy_names_every_offending_row_and_metric() {
    let mut cohort = Cohort::new();
    cohort.push(
        "A",
        [
            ("handledCalls", 1.0),
            ("avgSpeedOfAnswer", 2.0),
            ("abandonedCalls", 3.0),
        ],
    );
    cohort.push("B", [("handledCalls", 1.0), ("avgSpeedOfAnswer", f64::NAN)]);
    cohort.push(
        "C",
        [
            ("handledCalls", f64::INFINITY),
            ("avgSpeedOfAnswer", 2.0),
            ("abandonedCalls", 3.0),
        ],
    );
    let config = ScoringConfig::default().with_missing(MissingPolicy::Reject);
    let err = score(&config, &cohort).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Scoring);
    let text = err.to_string();
    assert!(
        text.contains("row 1 (`B`): avgSpeedOfAnswer, abandonedCalls"),
        "{text}"
    );
    assert!(text.contains("row 2 (`C`): handledCalls"), "{text}");
    assert!(!text.contains("`A`"), "{text}");

    let mut complete = Cohort::new();
    complete.push(
        "A",
        [
            ("handledCalls", 1.0),
            ("avgSpeedOfAnswer", 2.0),
            ("abandonedCalls", 3.0),
        ],
    );
    complete.push(
        "B",
        [
            ("handledCalls", 2.0),
            ("avgSpeedOfAnswer", 1.0),
            ("abandonedCalls", 1.0),
        ],
    );
    let scores = score(&config, &complete).unwrap();
    assert_eq!(scores.get(1).unwrap().score, Some(1.0));
    assert_eq!(scores.get(0).unwrap().coverage, 1.0);
}

#[test]
fn ranked_view_sorts_by_score_then_id_with_unscored_last() {
    let mut cohort = Cohort::new();
    cohort.push("zeta", [("handledCalls", 5.0)]);
    cohort.push("none", [("other", 1.0)]);
    cohort.push("alpha", [("handledCalls", 5.0)]);
    cohort.push("low", [("handledCalls", 1.0)]);
    let scores = score(&ScoringConfig::default(), &cohort).unwrap();
    let order: Vec<&str> = scores.ranked().iter().map(|r| r.strategy_id).collect();
    assert_eq!(order, ["alpha", "zeta", "low", "none"]);
    let none = scores.by_strategy("none").unwrap();
    assert_eq!(
        (none.score, none.percentile_rank, none.coverage),
        (None, None, 0.0)
    );
    // Input order is kept in the main view, ties share the average rank.
    assert_eq!(scores.get(0).unwrap().percentile_rank, Some(2.5 / 3.0));
    assert_eq!(
        scores.get(2).unwrap().normalized_value("handledCalls"),
        Some(1.0)
    );
    assert_eq!(
        scores.get(2).unwrap().normalized_value("avgSpeedOfAnswer"),
        None
    );
}

#[test]
fn results_serialise_with_camel_case_names_and_normalised_values() {
    let mut cohort = Cohort::new();
    cohort.push("A", [("handledCalls", 3.0), ("avgSpeedOfAnswer", 10.0)]);
    cohort.push("B", [("handledCalls", 1.0)]);
    let scores = score(&ScoringConfig::default(), &cohort).unwrap();
    let json = serde_json::to_value(&scores).unwrap();
    assert_eq!(json[0]["strategyId"], "A");
    assert_eq!(json[0]["percentileRank"], 1.0);
    assert_eq!(json[0]["normalized"]["handledCalls"], 1.0);
    assert_eq!(json[0]["normalized"]["avgSpeedOfAnswer"], 0.5);
    assert_eq!(json[1]["normalized"]["abandonedCalls"], Value::Null);
    let owned: Vec<genesys_routing_eval::scoring::ScoreResult> =
        serde_json::from_value(json).unwrap();
    assert_eq!(owned, scores.to_results());
}

// ---------------------------------------------------------------- properties

const METRICS: [&str; 3] = ["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"];

fn value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        6 => (0u32..5000).prop_map(f64::from),
        3 => 0.0f64..1000.0,
        1 => Just(f64::NAN),
    ]
}

fn hostile_value() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![
        4 => -1e6f64..1e6,
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
        1 => Just(0.0),
        1 => Just(-0.0),
    ]
}

fn rows(values: impl Strategy<Value = f64> + Clone) -> impl Strategy<Value = Vec<[f64; 3]>> {
    prop::collection::vec([values.clone(), values.clone(), values], 1..40)
}

fn config() -> impl Strategy<Value = ScoringConfig> {
    let direction = prop_oneof![
        Just(Direction::HigherIsBetter),
        Just(Direction::LowerIsBetter)
    ];
    (
        [0.0f64..5.0, 0.0f64..5.0, 0.01f64..5.0],
        [direction.clone(), direction.clone(), direction],
        prop_oneof![Just(Normalization::MinMax), Just(Normalization::Rank)],
        prop_oneof![Just(MissingPolicy::Renormalize), Just(MissingPolicy::Worst)],
    )
        .prop_map(
            |(weights, directions, normalization, missing)| ScoringConfig {
                kpis: (0..3)
                    .map(|j| KpiWeight::new(METRICS[j], weights[j], directions[j]))
                    .collect(),
                normalization,
                missing,
                ..ScoringConfig::default()
            },
        )
}

fn build(rows: &[[f64; 3]]) -> Cohort {
    let mut cohort = Cohort::new();
    for (i, row) in rows.iter().enumerate() {
        cohort.push(
            format!("s{i:03}"),
            METRICS.iter().copied().zip(row.iter().copied()),
        );
    }
    cohort
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn scores_lie_in_unit_interval_and_best_ranks_highest(config in config(), rows in rows(value())) {
        let scores = score(&config, &build(&rows)).unwrap();
        let scored: Vec<f64> = scores.iter().filter_map(|r| r.score).collect();
        for row in scores.iter() {
            prop_assert!((0.0..=1.0).contains(&row.coverage));
            if let Some(s) = row.score {
                prop_assert!((0.0..=1.0).contains(&s), "score {s}");
                let p = row.percentile_rank.unwrap();
                prop_assert!(p > 0.0 && p <= 1.0, "percentile {p}");
            } else {
                prop_assert_eq!(row.percentile_rank, None);
            }
        }
        if let Some(best) = scored.iter().copied().reduce(f64::max) {
            let n = scored.len() as f64;
            let ties = scored.iter().filter(|s| **s == best).count() as f64;
            let want = (2.0 * n - ties + 1.0) / 2.0 / n;
            for row in scores.iter().filter(|r| r.score == Some(best)) {
                prop_assert_eq!(row.percentile_rank, Some(want));
            }
            if ties == 1.0 {
                prop_assert_eq!(want, 1.0);
            }
        }
    }

    #[test]
    fn improving_one_kpi_never_lowers_that_score(
        config in config(),
        rows in rows(value()),
        pick in any::<prop::sample::Index>(),
        kpi in 0usize..3,
        step in 0.0f64..2000.0,
    ) {
        let i = pick.index(rows.len());
        prop_assume!(rows[i][kpi].is_finite());
        let before = score(&config, &build(&rows)).unwrap();
        let mut better = rows.clone();
        better[i][kpi] = match config.kpis[kpi].direction {
            Direction::HigherIsBetter => rows[i][kpi] + step,
            Direction::LowerIsBetter => rows[i][kpi] - step,
        };
        let after = score(&config, &build(&better)).unwrap();
        let (b, a) = (before.get(i).unwrap().score, after.get(i).unwrap().score);
        prop_assert!(a.unwrap() >= b.unwrap(), "{b:?} -> {a:?}");
    }

    #[test]
    fn row_order_changes_no_result(
        config in config(),
        rows in rows(value()),
        seed in any::<u64>(),
    ) {
        let scores = score(&config, &build(&rows)).unwrap();
        let mut order: Vec<usize> = (0..rows.len()).collect();
        let mut rng = seed;
        for k in (1..order.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(k, (rng >> 33) as usize % (k + 1));
        }
        let mut shuffled = Cohort::new();
        for &i in &order {
            shuffled.push(format!("s{i:03}"), METRICS.iter().copied().zip(rows[i].iter().copied()));
        }
        let again = score(&config, &shuffled).unwrap();
        for (pos, &i) in order.iter().enumerate() {
            let (x, y) = (scores.get(i).unwrap(), again.get(pos).unwrap());
            prop_assert_eq!(x.strategy_id, y.strategy_id);
            prop_assert_eq!(x.score.map(f64::to_bits), y.score.map(f64::to_bits));
            prop_assert_eq!(x.percentile_rank, y.percentile_rank);
            prop_assert_eq!(x.coverage, y.coverage);
        }
        let ids = |s: &Scores| s.ranked().iter().map(|r| r.strategy_id.to_owned()).collect::<Vec<_>>();
        prop_assert_eq!(ids(&scores), ids(&again));
    }

    #[test]
    fn scaling_a_kpi_changes_nothing_under_min_max(
        config in config(),
        rows in rows(value()),
        kpi in 0usize..3,
        factor in 1e-3f64..1e3,
    ) {
        let config = config.with_normalization(Normalization::MinMax);
        let scores = score(&config, &build(&rows)).unwrap();
        let scaled_rows: Vec<[f64; 3]> = rows
            .iter()
            .map(|r| { let mut r = *r; r[kpi] *= factor; r })
            .collect();
        let scaled = score(&config, &build(&scaled_rows)).unwrap();
        let all: Vec<f64> = scores.iter().filter_map(|r| r.score).collect();
        for (x, y) in scores.iter().zip(scaled.iter()) {
            prop_assert_eq!(x.score.is_some(), y.score.is_some());
            if let (Some(a), Some(b)) = (x.score, y.score) {
                prop_assert!((a - b).abs() <= 1e-9, "{a} vs {b}");
                // Percentile ranks are exact comparisons; compare them only away from near-ties.
                if all.iter().filter(|s| (**s - a).abs() <= 1e-6).count() == 1 {
                    prop_assert_eq!(x.percentile_rank, y.percentile_rank);
                }
            }
            for ((_, n), (_, m)) in x.normalized().zip(y.normalized()) {
                prop_assert_eq!(n.is_some(), m.is_some());
                if let (Some(n), Some(m)) = (n, m) {
                    prop_assert!((n - m).abs() <= 1e-9);
                }
            }
        }
    }

    #[test]
    fn nan_and_infinities_never_reach_the_output(config in config(), rows in rows(hostile_value())) {
        let scores = score(&config, &build(&rows)).unwrap();
        for row in scores.iter() {
            prop_assert!(row.coverage.is_finite());
            prop_assert!(row.score.is_none_or(|s| (0.0..=1.0).contains(&s)), "{:?}", row.score);
            prop_assert!(row.percentile_rank.is_none_or(f64::is_finite));
            for (_, n) in row.normalized() {
                prop_assert!(n.is_none_or(|n| (0.0..=1.0).contains(&n)), "{n:?}");
            }
        }
        let json = serde_json::to_string(&scores).unwrap();
        prop_assert!(!json.contains("NaN") && !json.contains("inf"));
    }
}

// ---------------------------------------------------------------- KPI derivation

fn bucket(f: impl FnOnce(&mut RawCounts)) -> RawCounts {
    let mut c = RawCounts::default();
    f(&mut c);
    c
}

#[test]
fn kpis_add_counts_and_sums_across_buckets_before_dividing() {
    let mut table = MetricTable::new();
    // Day 1: 10 answered in 100 s total; day 2: 30 answered in 900 s total.
    // Averaging the daily averages (10 s, 30 s) would give 20 s; the true mean is 25 s.
    table.push(
        "Bullseye",
        "d1",
        bucket(|c| {
            c.offered = Some(12);
            c.answered = Some(10);
            c.answer_time_ms = Some(100_000.0);
            c.abandoned = Some(2);
            c.handled = Some(10);
            c.handle_time_ms = Some(3_000_000.0);
            c.service_level_met = Some(8.0);
            c.service_level_total = Some(10.0);
            c.transferred = Some(1);
        }),
    );
    table.push(
        "Bullseye",
        "d2",
        bucket(|c| {
            c.offered = Some(36);
            c.answered = Some(30);
            c.answer_time_ms = Some(900_000.0);
            c.abandoned = Some(6);
            c.handled = Some(30);
            c.handle_time_ms = Some(6_000_000.0);
            c.service_level_met = Some(12.0);
            c.service_level_total = Some(30.0);
            c.transferred = Some(3);
        }),
    );
    let kpis = Kpis::of_strategy(table.strategy("Bullseye").unwrap());
    assert_eq!(kpis.get(Kpi::Offered), Some(48.0));
    assert_eq!(kpis.get(Kpi::Answered), Some(40.0));
    assert_eq!(kpis.get(Kpi::HandledCalls), Some(40.0));
    assert_eq!(kpis.get(Kpi::AbandonedCalls), Some(8.0));
    assert_eq!(kpis.get(Kpi::AvgSpeedOfAnswer), Some(25.0));
    assert_eq!(kpis.get(Kpi::AvgHandleTime), Some(225.0));
    assert_eq!(kpis.get(Kpi::AbandonRate), Some(8.0 / 48.0));
    assert_eq!(kpis.get(Kpi::ServiceLevel), Some(0.5));
    assert_eq!(kpis.get(Kpi::TransferRate), Some(0.1));
    for kpi in Kpi::ALL {
        assert_eq!(kpis.by_name(kpi.name()), kpis.get(kpi), "{kpi}");
        assert_eq!(Kpi::from_name(kpi.name()), Some(kpi));
    }
}

#[test]
fn strategy_answered_in_some_buckets_only_averages_over_answered_calls() {
    let mut table = MetricTable::new();
    // Day 1: offered 5, all abandoned, nothing answered (tAnswered left out, as Genesys does).
    table.push(
        "Predictive",
        "d1",
        bucket(|c| {
            c.offered = Some(5);
            c.abandoned = Some(5);
        }),
    );
    // Day 2: offered 20, 20 answered in 200 s; no abandons (tAbandon left out).
    table.push(
        "Predictive",
        "d2",
        bucket(|c| {
            c.offered = Some(20);
            c.answered = Some(20);
            c.answer_time_ms = Some(200_000.0);
        }),
    );
    let kpis = Kpis::of_strategy(table.strategy("Predictive").unwrap());
    assert_eq!(kpis.get(Kpi::AvgSpeedOfAnswer), Some(10.0));
    assert_eq!(kpis.get(Kpi::AbandonRate), Some(0.2));
    assert_eq!(kpis.get(Kpi::AbandonedCalls), Some(5.0));
    // tHandle and nTransferred never measured: no handled calls, no handle time, no
    // transfer rate (absent, not 0).
    assert_eq!(kpis.get(Kpi::HandledCalls), None);
    assert_eq!(kpis.get(Kpi::AvgHandleTime), None);
    assert_eq!(kpis.get(Kpi::TransferRate), None);
    assert_eq!(kpis.get(Kpi::ServiceLevel), None);
}

#[test]
fn zero_offered_strategy_has_missing_rates_not_zero_or_nan() {
    let counts = bucket(|c| {
        c.offered = Some(0);
        c.answered = Some(0);
        c.answer_time_ms = Some(0.0);
        c.abandoned = Some(0);
        c.handled = Some(0);
        c.handle_time_ms = Some(0.0);
        c.service_level_met = Some(0.0);
        c.service_level_total = Some(0.0);
    });
    let kpis = Kpis::from_counts(&counts);
    assert_eq!(kpis.get(Kpi::Offered), Some(0.0));
    assert_eq!(kpis.get(Kpi::HandledCalls), Some(0.0));
    for kpi in [
        Kpi::AvgSpeedOfAnswer,
        Kpi::AvgHandleTime,
        Kpi::AbandonRate,
        Kpi::ServiceLevel,
        Kpi::TransferRate,
    ] {
        assert_eq!(kpis.get(kpi), None, "{kpi}");
    }
    let empty = Kpis::from_counts(&RawCounts::default());
    assert!(empty.iter().all(|(_, v)| v.is_none()));
    // Missing KPIs serialise as null.
    let json = serde_json::to_value(kpis).unwrap();
    assert_eq!(json["abandonRate"], Value::Null);
    assert_eq!(json["offered"], 0.0);
}

#[test]
fn facade_speed_of_answer_is_weighted_by_handled_calls() {
    let mut table = MetricTable::new();
    for (day, asa, handled) in [("d1", 10.0, 30u64), ("d2", 40.0, 10)] {
        table.push(
            "Standard",
            day,
            bucket(|c| {
                c.handled = Some(handled);
                c.abandoned = Some(1);
                c.reported_speed_of_answer = Some(MeanParts::of(asa, handled as f64));
            }),
        );
    }
    let kpis = Kpis::of_strategy(table.strategy("Standard").unwrap());
    assert_eq!(
        kpis.get(Kpi::AvgSpeedOfAnswer),
        Some((10.0 * 30.0 + 40.0 * 10.0) / 40.0)
    );
    assert_eq!(kpis.get(Kpi::HandledCalls), Some(40.0));
    assert_eq!(kpis.get(Kpi::AbandonedCalls), Some(2.0));
    // No offered count from the facade: the abandon rate is missing.
    assert_eq!(kpis.get(Kpi::AbandonRate), None);

    let mut idle = MetricTable::new();
    for (day, asa) in [("d1", 10.0), ("d2", 20.0)] {
        idle.push(
            "Vip",
            day,
            bucket(|c| {
                c.handled = Some(0);
                c.reported_speed_of_answer = Some(MeanParts::of(asa, 0.0));
            }),
        );
    }
    let kpis = Kpis::of_strategy(idle.strategy("Vip").unwrap());
    assert_eq!(
        kpis.get(Kpi::AvgSpeedOfAnswer),
        Some(15.0),
        "plain mean when every weight is 0"
    );
}

#[test]
fn merged_window_chunks_derive_the_same_kpis_as_one_table() {
    let day = |offered, answered, ms| {
        bucket(|c| {
            c.offered = Some(offered);
            c.answered = Some(answered);
            c.answer_time_ms = Some(ms);
        })
    };
    let mut whole = MetricTable::new();
    whole.push("Bullseye", "d1", day(10, 9, 9_000.0));
    whole.push("Bullseye", "d2", day(50, 41, 123_000.0));
    let mut first = MetricTable::new();
    first.push("Bullseye", "d1", day(10, 9, 9_000.0));
    let mut second = MetricTable::new();
    second.push("Bullseye", "d2", day(50, 41, 123_000.0));
    first.merge(second);
    let a = Kpis::of_strategy(whole.strategy("Bullseye").unwrap());
    let b = Kpis::of_strategy(first.strategy("Bullseye").unwrap());
    assert_eq!(a, b);
    assert_eq!(a.get(Kpi::AvgSpeedOfAnswer), Some(132.0 / 50.0));
}

#[test]
fn metric_table_round_trips_through_serde() {
    let mut table = MetricTable::new();
    table.push(
        "Bullseye",
        "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z",
        bucket(|c| {
            c.offered = Some(3);
            c.reported_speed_of_answer = Some(MeanParts::of(4.0, 3.0));
        }),
    );
    let json = serde_json::to_string(&table).unwrap();
    let back: MetricTable = serde_json::from_str(&json).unwrap();
    assert_eq!(back, table);
}

#[test]
fn cohort_from_kpis_scores_derived_strategies() {
    let fast = Kpis::from_counts(&bucket(|c| {
        c.handled = Some(100);
        c.answered = Some(100);
        c.answer_time_ms = Some(500_000.0);
        c.abandoned = Some(2);
    }));
    let slow = Kpis::from_counts(&bucket(|c| {
        c.handled = Some(100);
        c.answered = Some(100);
        c.answer_time_ms = Some(12_000_000.0);
        c.abandoned = Some(2);
    }));
    let scores = score(
        &ScoringConfig::default(),
        &Cohort::from_kpis([("fast", &fast), ("slow", &slow)]),
    )
    .unwrap();
    // The tutorial would rank the 120 s strategy first; the corrected direction does not.
    assert_eq!(scores.ranked()[0].strategy_id, "fast");
    assert!(scores.ids().iter().eq(["fast", "slow"]), "input order");
    assert_eq!(
        scores
            .by_strategy("slow")
            .unwrap()
            .normalized_value("avgSpeedOfAnswer"),
        Some(0.0)
    );
}

// ---------------------------------------------------------------- confidence

#[test]
fn confidence_flags_small_samples_and_gives_wilson_intervals() {
    let counts = bucket(|c| {
        c.offered = Some(100);
        c.abandoned = Some(10);
        c.service_level_met = Some(80.0);
        c.service_level_total = Some(90.0);
    });
    let c = Confidence::from_counts(&counts, 30);
    assert_eq!(c.sample_size, Some(100));
    assert!(!c.low_confidence);
    let abandon = c.abandon_rate.unwrap();
    // Wilson 95% for 10/100, worked by hand: centre 0.1176..., half-width 0.0623...
    assert!((abandon.lower - 0.055_229_4).abs() < 1e-6, "{abandon:?}");
    assert!((abandon.upper - 0.174_366_1).abs() < 1e-6, "{abandon:?}");
    assert_eq!(abandon.estimate, 0.1);
    let sl = c.service_level.unwrap();
    assert!(sl.lower < 80.0 / 90.0 && 80.0 / 90.0 < sl.upper);
    assert!(Confidence::from_counts(&counts, 101).low_confidence);

    // The facade has no offered count: handled plus abandoned stand in.
    let facade = bucket(|c| {
        c.handled = Some(20);
        c.abandoned = Some(5);
    });
    let c = Confidence::from_counts(&facade, 30);
    assert_eq!(c.sample_size, Some(25));
    assert!(c.low_confidence);
    assert_eq!(c.abandon_rate, None);
    assert!(Confidence::from_counts(&RawCounts::default(), 0).low_confidence);
}

#[test]
fn wilson_interval_stays_in_unit_range_at_the_extremes() {
    let none = Interval::wilson(0.0, 5.0).unwrap();
    assert_eq!(none.lower, 0.0);
    assert!(none.upper > 0.0 && none.upper < 1.0);
    let all = Interval::wilson(5.0, 5.0).unwrap();
    assert_eq!(all.upper, 1.0);
    assert!(all.lower > 0.0);
    assert_eq!(Interval::wilson(1.0, 0.0), None);
    assert_eq!(Interval::wilson(f64::NAN, 3.0), None);
}

// ---------------------------------------------------------------- score file and CLI

#[test]
fn malformed_score_file_names_path_line_and_column() {
    let text = "{\"rows\": [\n  {\"strategyId\": \"a\", \"metrics\": {\"handledCalls\": 1}},\n  {\"strategyId\": \"b\", \"metrics\": {\"handledCalls\": \"many\"}}\n]}";
    let err = ScoreFile::from_slice(text.as_bytes()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    assert_eq!(err.json_path(), Some("rows[1].metrics.handledCalls"));
    let message = err.to_string();
    assert!(message.contains("line 3, column"), "{message}");

    let err = ScoreFile::from_slice(
        br#"{"config": {"kpis": [{"metric": "a", "weight": 1, "direction": "up"}]}, "rows": []}"#,
    )
    .unwrap_err();
    assert_eq!(err.json_path(), Some("config.kpis[0].direction"));
    let err = ScoreFile::from_slice(br#"{"rows": [{"metrics": {}}]}"#).unwrap_err();
    assert!(err.to_string().contains("strategyId"), "{err}");
    let err = ScoreFile::from_slice(br#"{"config": null}"#).unwrap_err();
    assert!(err.to_string().contains("rows"), "{err}");
}

#[test]
fn score_file_without_config_uses_the_defaults_and_null_is_missing() {
    let file = ScoreFile::from_slice(
        br#"{"rows": [{"metrics": {"avgSpeedOfAnswer": null, "handledCalls": 2}, "strategyId": "a"},
                     {"strategyId": "b", "metrics": {"handledCalls": 1, "avgSpeedOfAnswer": 3}}]}"#,
    )
    .unwrap();
    assert_eq!(file.config, None);
    assert_eq!(file.config_or_default(), ScoringConfig::default());
    let asa = file.cohort.column("avgSpeedOfAnswer").unwrap();
    assert!(asa[0].is_nan());
    assert_eq!(asa[1], 3.0);
    assert!(file.cohort.ids().iter().eq(["a", "b"]));
}

#[test]
fn a_requested_metric_left_out_is_zero_and_one_never_requested_stays_missing() {
    // A routing method whose abandons all landed in the group without `usedRouting`: Genesys
    // leaves `tAbandon` out of its buckets. Requested, that is zero abandons.
    let layout = TableLayout::new("usedRouting").requested(["nOffered", "tAbandon", "tAnswered"]);
    let offered_only = layout.complete(bucket(|c| c.offered = Some(40)));
    let kpis = Kpis::from_counts(&offered_only);
    assert_eq!(kpis.get(Kpi::AbandonedCalls), Some(0.0));
    assert_eq!(kpis.get(Kpi::AbandonRate), Some(0.0));
    assert_eq!(kpis.get(Kpi::Answered), Some(0.0));
    assert_eq!(
        kpis.get(Kpi::AvgSpeedOfAnswer),
        None,
        "no answered call to average"
    );
    // Never requested: no figure at all, never a 0.
    assert_eq!(kpis.get(Kpi::TransferRate), None);
    assert_eq!(kpis.get(Kpi::HandledCalls), None);
    assert_eq!(kpis.get(Kpi::ServiceLevel), None);

    // The strategies facade reports no offered count: what it leaves out stays unknown.
    let facade = bucket(|c| c.handled = Some(12));
    let kpis = Kpis::from_counts(&facade);
    assert_eq!(kpis.get(Kpi::HandledCalls), Some(12.0));
    assert_eq!(kpis.get(Kpi::AbandonedCalls), None);
}
