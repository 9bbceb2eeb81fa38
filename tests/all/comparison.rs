//! Comparison: the shared vectors (computed with R's metafor), the properties the method
//! promises, and the errors a caller gets for bad settings.

use std::path::Path;

use genesys_routing_eval::ErrorKind;
use genesys_routing_eval::comparison::{
    CellMatch, CellRow, CellTable, Comparison, ComparisonConfig, ComparisonFile, ComparisonKpi,
    Verdict, compare, compare_table,
};
use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts, StrategyMetrics};
use proptest::prelude::*;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/comparison");

#[test]
fn the_repository_copy_of_the_comparison_vectors_equals_the_shared_vectors() {
    crate::support::assert_copy_equals_shared(Path::new(VECTORS), "vectors/comparison");
}

/// How closely a field must match: COMPARISON.md's tolerances.
enum Tolerance {
    Exact,
    /// Differences, adjusted values, coverage: 1e-9 relative or 1e-12 absolute.
    Value,
    /// Standard errors, intervals, p-values, MDE: 1e-7 relative.
    Inference,
}

fn tolerance(field: &str) -> Tolerance {
    match field {
        "contenderAdjusted" | "baselineAdjusted" | "difference" | "relativeDifference"
        | "pooledDifference" | "contenderCoverage" | "baselineCoverage" => Tolerance::Value,
        "standardError"
        | "ciLow"
        | "ciHigh"
        | "pValue"
        | "pAdjusted"
        | "minimumDetectableDifference" => Tolerance::Inference,
        _ => Tolerance::Exact,
    }
}

fn close(actual: &Value, expected: &Value, tolerance: Tolerance) -> bool {
    match (actual.as_f64(), expected.as_f64(), tolerance) {
        (_, _, Tolerance::Exact) | (None, _, _) | (_, None, _) => actual == expected,
        (Some(a), Some(e), Tolerance::Value) => {
            (a - e).abs() <= 1e-12 || (a - e).abs() <= 1e-9 * e.abs()
        }
        (Some(a), Some(e), Tolerance::Inference) => (a - e).abs() <= 1e-7 * e.abs(),
    }
}

/// Every difference between `actual` and `expected`, one line each.
fn differences(name: &str, actual: &Value, expected: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["baseline", "alpha", "power"] {
        if actual[key] != expected[key] {
            out.push(format!(
                "{name}: {key} {} != {}",
                actual[key], expected[key]
            ));
        }
    }
    let (got, want) = (
        actual["results"].as_array().unwrap(),
        expected["results"].as_array().unwrap(),
    );
    if got.len() != want.len() {
        out.push(format!(
            "{name}: {} results, expected {}",
            got.len(),
            want.len()
        ));
    }
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (g.as_object().unwrap(), w.as_object().unwrap());
        let mut keys: Vec<&String> = g.keys().collect();
        let mut wanted: Vec<&String> = w.keys().collect();
        keys.sort();
        wanted.sort();
        if keys != wanted {
            out.push(format!("{name}[{i}]: fields {keys:?} != {wanted:?}"));
        }
        for (key, expected) in w {
            let actual = g.get(key).unwrap_or(&Value::Null);
            if !close(actual, expected, tolerance(key)) {
                out.push(format!(
                    "{name}[{i}] {}/{}: {key} {actual} != {expected}",
                    w["contender"], w["kpi"]
                ));
            }
        }
    }
    out
}

fn run_file(path: &Path) -> (Value, Value) {
    let bytes = std::fs::read(path).unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let file = ComparisonFile::from_slice(&bytes).unwrap();
    let config = file.config().build().unwrap();
    let comparison = compare(&config, file.table()).unwrap();
    (serde_json::to_value(&comparison).unwrap(), doc)
}

#[test]
fn every_vector_matches_to_the_contract_tolerances() {
    let mut problems = Vec::new();
    for path in crate::support::vector_files(Path::new(VECTORS)) {
        let (actual, doc) = run_file(&path);
        let name = doc["name"].as_str().unwrap_or("?").to_owned();
        problems.extend(differences(&name, &actual, &doc["expected"]));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_output_carries_the_design_and_keeps_nulls() {
    let (actual, _) = run_file(&Path::new(VECTORS).join("single-cell.json"));
    assert_eq!(actual["treatment"], "usedRouting");
    assert_eq!(actual["within"], serde_json::json!(["queueId"]));
    assert_eq!(actual["match"], "bucket");
    let mean = &actual["results"][3];
    assert_eq!(mean["kpi"], "avgSpeedOfAnswer");
    assert_eq!(mean["kind"], "mean");
    assert!(mean.as_object().unwrap().contains_key("standardError"));
    assert_eq!(mean["standardError"], Value::Null);
    assert_eq!(mean["verdict"], "insufficient_data");
    assert!(actual["results"][0]["cells"].is_u64());
    assert!(actual["results"][0]["contenderVolume"].is_u64());
}

#[test]
fn the_output_reads_back_equal() {
    let bytes = std::fs::read(Path::new(VECTORS).join("simpson.json")).unwrap();
    let file = ComparisonFile::from_slice(&bytes).unwrap();
    let comparison = compare(&file.config().build().unwrap(), file.table()).unwrap();
    let text = serde_json::to_string(&comparison).unwrap();
    let back: Comparison = serde_json::from_str(&text).unwrap();
    assert_eq!(back, comparison);
    assert!(comparison.has_reversal());
}

// ---------------------------------------------------------------------------------------------
// errors

fn small_table() -> CellTable {
    let counts = |offered, abandoned| RawCounts {
        offered: Some(offered),
        abandoned: Some(abandoned),
        ..RawCounts::default()
    };
    let mut table = CellTable::new();
    for q in ["q1", "q2", "q3"] {
        table.add([q], "Standard", &counts(100, 9));
        table.add([q], "Predictive", &counts(90, 5));
    }
    table
}

fn config_error(result: Result<impl std::fmt::Debug, genesys_routing_eval::Error>) -> String {
    let err = result.expect_err("a configuration error");
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    err.to_string()
}

#[test]
fn alpha_and_power_outside_zero_one_are_refused_together() {
    let text = config_error(ComparisonConfig::builder().alpha(0.0).power(1.0).build());
    assert!(
        text.contains("alpha is invalid: 0 is outside (0, 1)"),
        "{text}"
    );
    assert!(
        text.contains("power is invalid: 1 is outside (0, 1)"),
        "{text}"
    );
    let text = config_error(ComparisonConfig::builder().alpha(f64::NAN).build());
    assert!(text.contains("alpha"), "{text}");
}

#[test]
fn an_unknown_kpi_names_the_nearest_known_one() {
    let text = config_error(
        ComparisonConfig::builder()
            .kpi_names(["abandonRate", "avgHandlingTime"])
            .build(),
    );
    assert!(
        text.contains("`avgHandlingTime` is not a comparison KPI"),
        "{text}"
    );
    assert!(text.contains("did you mean `avgHandleTime`"), "{text}");
    assert!(!text.contains("list is empty"), "{text}");
}

#[test]
fn empty_contender_and_kpi_lists_are_refused() {
    let text = config_error(
        ComparisonConfig::builder()
            .contenders(Vec::<String>::new())
            .kpis([])
            .build(),
    );
    assert!(
        text.contains("contender is invalid: the list is empty"),
        "{text}"
    );
    assert!(text.contains("kpi is invalid: the list is empty"), "{text}");
}

#[test]
fn a_within_dimension_equal_to_the_treatment_is_refused() {
    let text = config_error(
        ComparisonConfig::builder()
            .within(["queueId", "usedRouting"])
            .build(),
    );
    assert!(text.contains("`usedRouting` is the treatment"), "{text}");
}

#[test]
fn a_baseline_without_cells_names_the_strategies_present() {
    let config = ComparisonConfig::builder()
        .baseline("Bullseye")
        .build()
        .unwrap();
    let text = config_error(compare(&config, &small_table()));
    assert!(
        text.contains("baseline is invalid: `Bullseye` has no cells; the strategies present are: Predictive, Standard"),
        "{text}"
    );
}

#[test]
fn a_contender_without_cells_names_the_strategies_present() {
    let config = ComparisonConfig::builder()
        .contenders(["Predictive", "Bulseye"])
        .build()
        .unwrap();
    let text = config_error(compare(&config, &small_table()));
    assert!(
        text.contains("contender is invalid: `Bulseye` has no cells; the strategies present are: Predictive, Standard"),
        "{text}"
    );
}

#[test]
fn the_baseline_cannot_be_a_contender() {
    let named = ComparisonConfig::builder()
        .baseline("Standard")
        .contenders(["Standard"])
        .build();
    assert!(config_error(named).contains("`Standard` is the baseline"));
    // The most offered strategy is the baseline when none is named.
    let implied = ComparisonConfig::builder()
        .contenders(["Standard"])
        .build()
        .unwrap();
    let text = config_error(compare(&implied, &small_table()));
    assert!(text.contains("`Standard` is the baseline"), "{text}");
}

#[test]
fn an_empty_table_is_a_configuration_error() {
    let text = config_error(compare(&ComparisonConfig::default(), &CellTable::new()));
    assert!(text.contains("no cells"), "{text}");
}

#[test]
fn a_field_changed_after_build_is_validated_by_compare() {
    let mut config = ComparisonConfig::default();
    config.alpha = 2.0;
    assert!(config_error(compare(&config, &small_table())).contains("alpha"));
}

#[test]
fn a_single_strategy_gives_no_results() {
    let mut table = CellTable::new();
    table.add(
        ["q1"],
        "Standard",
        &RawCounts {
            offered: Some(3),
            ..RawCounts::default()
        },
    );
    let comparison = compare(&ComparisonConfig::default(), &table).unwrap();
    assert_eq!(comparison.baseline, "Standard");
    assert!(comparison.results.is_empty());
}

#[test]
fn a_malformed_file_names_line_column_and_path() {
    let err = ComparisonFile::from_slice(b"{\"rows\": [\n {\"cell\": [\"q\"], \"strategy\": \"A\",\n  \"counts\": {\"offered\": -1}}]}")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Decode);
    let text = err.to_string();
    assert!(text.contains("rows[0].counts.offered"), "{text}");
    assert!(text.contains("line 3 column"), "{text}");
    let err = ComparisonFile::from_slice(br#"{"config": {"alpah": 0.1}, "rows": []}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field `alpah`"), "{err}");
    let err = ComparisonFile::from_slice(
        br#"{"rows": [{"cell": [], "strategy": "A", "counts": {"ofered": 1}}]}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `ofered`"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// properties

/// Counts with every field present and consistent (abandoned + answered = offered, and so on),
/// integers throughout so that sums are exact whatever the order.
fn counts() -> impl Strategy<Value = RawCounts> {
    (1u64..200, 0u64..=100, 0u64..=100, 0u64..=100, 1u64..90_000).prop_map(
        |(offered, abandon_pct, sl_pct, transfer_pct, ms)| {
            let abandoned = offered * abandon_pct / 100;
            let answered = offered - abandoned;
            RawCounts {
                offered: Some(offered),
                answered: Some(answered),
                abandoned: Some(abandoned),
                handled: Some(answered),
                answer_time_ms: Some((answered * ms / 3) as f64),
                handle_time_ms: Some((answered * ms) as f64),
                service_level_met: Some((offered * sl_pct / 100) as f64),
                service_level_total: Some(offered as f64),
                transferred: Some(answered * transfer_pct / 100),
                ..RawCounts::default()
            }
        },
    )
}

/// Rows of two strategies (`A`, `B`) over up to 12 cells, some cells holding only one.
fn rows() -> impl Strategy<Value = Vec<CellRow>> {
    prop::collection::vec((0u8..12, prop::bool::ANY, counts()), 4..40).prop_map(|raw| {
        let mut rows: Vec<CellRow> = raw
            .into_iter()
            .map(|(cell, b, counts)| {
                let strategy = if b { "B" } else { "A" };
                CellRow::new(
                    [format!("q{}", cell % 4), format!("d{}", cell / 4)],
                    strategy,
                    counts,
                )
            })
            .collect();
        // Both strategies present, so the comparison has a contender.
        for s in ["A", "B"] {
            if !rows.iter().any(|r| r.strategy == s) {
                let mut extra = rows[0].clone();
                extra.strategy = s.into();
                rows.push(extra);
            }
        }
        rows
    })
}

fn run(rows: &[CellRow], baseline: &str) -> Comparison {
    let contender = if baseline == "A" { "B" } else { "A" };
    let config = ComparisonConfig::builder()
        .baseline(baseline)
        .contenders([contender])
        .build()
        .unwrap();
    compare(&config, &rows.iter().cloned().collect()).unwrap()
}

fn split(counts: &RawCounts, share: u64) -> (RawCounts, RawCounts) {
    let part = |v: Option<u64>| v.map(|n| (n * share / 100, n - n * share / 100));
    let part_f = |v: Option<f64>| {
        v.map(|x| {
            let first = (x * share as f64 / 100.0).floor();
            (first, x - first)
        })
    };
    let (mut a, mut b) = (*counts, *counts);
    macro_rules! halve {
        ($field:ident, $f:expr) => {
            if let Some((x, y)) = $f(counts.$field) {
                a.$field = Some(x);
                b.$field = Some(y);
            }
        };
    }
    halve!(offered, part);
    halve!(answered, part);
    halve!(abandoned, part);
    halve!(handled, part);
    halve!(transferred, part);
    halve!(answer_time_ms, part_f);
    halve!(handle_time_ms, part_f);
    halve!(service_level_met, part_f);
    halve!(service_level_total, part_f);
    (a, b)
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn splitting_a_row_in_two_changes_nothing(rows in rows(), pick in 0usize..40, share in 0u64..=100) {
        let before = run(&rows, "A");
        let i = pick % rows.len();
        let (first, second) = split(&rows[i].counts, share);
        let mut split_rows = rows.clone();
        split_rows[i].counts = first;
        let mut extra = rows[i].clone();
        extra.counts = second;
        split_rows.push(extra);
        prop_assert_eq!(run(&split_rows, "A"), before);
    }

    #[test]
    fn row_order_does_not_change_the_result(
        (rows, shuffled) in rows().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))
    ) {
        prop_assert_eq!(run(&shuffled, "A"), run(&rows, "A"));
    }

    #[test]
    fn swapping_baseline_and_contender_negates_the_difference(rows in rows()) {
        let ab = run(&rows, "A");
        let ba = run(&rows, "B");
        prop_assert_eq!(ab.results.len(), ba.results.len());
        for (x, y) in ab.results.iter().zip(&ba.results) {
            prop_assert_eq!(x.kpi, y.kpi);
            prop_assert_eq!(x.cells, y.cells);
            prop_assert_eq!(x.contender_adjusted, y.baseline_adjusted);
            prop_assert_eq!(x.difference.map(|d| -d), y.difference);
            prop_assert_eq!(x.standard_error.is_some(), y.standard_error.is_some());
            if let (Some(s), Some(t)) = (x.standard_error, y.standard_error) {
                prop_assert!(near(s, t), "{} vs {}", s, t);
                prop_assert!(near(x.ci_low.unwrap(), -y.ci_high.unwrap()));
                prop_assert!(near(x.ci_high.unwrap(), -y.ci_low.unwrap()));
                prop_assert!(near(x.p_value.unwrap(), y.p_value.unwrap()));
            }
            let mirrored = match x.verdict {
                Verdict::ContenderBetter => Verdict::BaselineBetter,
                Verdict::BaselineBetter => Verdict::ContenderBetter,
                other => other,
            };
            // A p-value on alpha's edge may round either way; anything else mirrors.
            let edge = x.p_adjusted.is_some_and(|p| (p - 0.05).abs() < 1e-9);
            prop_assert!(edge || y.verdict == mirrored, "{:?} vs {:?}", x.verdict, y.verdict);
        }
    }

    #[test]
    fn holm_never_lowers_a_p_value_and_keeps_their_order(rows in rows()) {
        let c = run(&rows, "A");
        let with_p: Vec<(f64, f64)> = c
            .results
            .iter()
            .filter_map(|r| Some((r.p_value?, r.p_adjusted?)))
            .collect();
        prop_assert_eq!(with_p.len(), c.results.iter().filter(|r| r.p_value.is_some()).count());
        for &(p, adjusted) in &with_p {
            prop_assert!(adjusted >= p && adjusted <= 1.0, "{} -> {}", p, adjusted);
        }
        for &(p, a) in &with_p {
            for &(q, b) in &with_p {
                if p < q {
                    prop_assert!(a <= b, "{} -> {} but {} -> {}", p, a, q, b);
                }
            }
        }
    }

    #[test]
    fn the_interval_contains_the_difference(rows in rows()) {
        for r in run(&rows, "A").results {
            if let (Some(d), Some(lo), Some(hi)) = (r.difference, r.ci_low, r.ci_high) {
                prop_assert!(lo <= d && d <= hi, "{} not in [{}, {}]", d, lo, hi);
                prop_assert!(r.minimum_detectable_difference.unwrap() > 0.0);
            }
        }
    }

    #[test]
    fn a_cell_of_one_strategy_changes_no_estimate(rows in rows(), extra in counts(), b in prop::bool::ANY) {
        let before = run(&rows, "A");
        let mut more = rows.clone();
        more.push(CellRow::new(["elsewhere", "d9"], if b { "B" } else { "A" }, extra));
        let after = run(&more, "A");
        prop_assert_eq!(before.results.len(), after.results.len());
        for (x, y) in before.results.iter().zip(&after.results) {
            prop_assert_eq!(x.cells, y.cells);
            prop_assert_eq!(x.contender_volume, y.contender_volume);
            prop_assert_eq!(x.baseline_volume, y.baseline_volume);
            prop_assert_eq!(x.difference, y.difference);
            prop_assert_eq!(x.contender_adjusted, y.contender_adjusted);
            prop_assert_eq!(x.standard_error, y.standard_error);
            prop_assert_eq!(x.ci_low, y.ci_low);
            prop_assert_eq!(x.p_adjusted, y.p_adjusted);
            prop_assert_eq!(x.verdict, y.verdict);
        }
    }
}

#[test]
fn results_follow_total_offered_then_id_and_the_kpi_table() {
    let bytes = std::fs::read(Path::new(VECTORS).join("several-contenders.json")).unwrap();
    let file = ComparisonFile::from_slice(&bytes).unwrap();
    let config = file
        .config()
        .kpis([ComparisonKpi::AvgHandleTime, ComparisonKpi::AbandonRate])
        .build()
        .unwrap();
    let c = compare(&config, file.table()).unwrap();
    let kpis: Vec<ComparisonKpi> = c.results.iter().map(|r| r.kpi).collect();
    assert_eq!(
        kpis[..2],
        [ComparisonKpi::AbandonRate, ComparisonKpi::AvgHandleTime]
    );
}

/// Buckets of up to three strategies (an id may be listed twice, as a caller's own table may
/// list it) over intervals of a few hours and days, one that does not parse, in a few queues;
/// sums with fractions, so that the order they are added in shows in the last bits.
fn metric_table() -> impl Strategy<Value = MetricTable> {
    let bucket = (0u8..3, 0u8..8, 0u8..3, counts());
    prop::collection::vec((0usize..4, prop::collection::vec(bucket, 0..30)), 1..5).prop_map(
        |strategies| {
            let intervals = |day: u8, hour: u8| match hour {
                7 => "not an interval".to_owned(),
                _ => format!(
                    "2024-05-0{}T{:02}:00:00.000Z/2024-05-0{}T{:02}:00:00.000Z",
                    day + 1,
                    hour * 3,
                    day + 1,
                    hour * 3 + 1
                ),
            };
            let list = strategies
                .into_iter()
                .map(|(id, buckets)| StrategyMetrics {
                    strategy_id: ["A", "B", "C", "A"][id].to_owned(),
                    buckets: buckets
                        .into_iter()
                        .map(|(day, hour, queue, mut counts)| {
                            counts.answer_time_ms = counts.answer_time_ms.map(|ms| ms / 7.0);
                            counts.handle_time_ms = counts.handle_time_ms.map(|ms| ms / 3.0);
                            Bucket::new(intervals(day, hour), counts)
                                .in_cell(vec![format!("q{queue}")])
                        })
                        .collect(),
                })
                .collect();
            MetricTable::from_strategies(list)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Comparing a metric table in place gives what comparing its copied cells gives, bit for
    /// bit (errors included), for every cell match.
    #[test]
    fn comparing_a_table_in_place_equals_comparing_its_cell_table(table in metric_table()) {
        for matching in [CellMatch::Bucket, CellMatch::HourOfDay, CellMatch::Window] {
            let config = ComparisonConfig::builder().cell_match(matching).build().unwrap();
            let zone = chrono_tz::Europe::Berlin;
            let in_place = compare_table(&config, &table, zone);
            let copied = compare(&config, &CellTable::from_metric_table(&table, matching, zone));
            prop_assert_eq!(format!("{in_place:?}"), format!("{copied:?}"), "{:?}", matching);
        }
    }
}
