//! `routing-eval compare` live (no `--input`) and the comparison under `evaluate`'s ranking,
//! against the embedded emulator: the contract's object, the checks before any request, the
//! fallback table, exit codes.

use std::process::Command;

use serde_json::Value;

use crate::support::{assert_exit, evaluate, run, subcommand};

fn compare(args: &[&str]) -> Command {
    subcommand("compare", args)
}

#[test]
fn json_is_the_contract_object_at_the_top_level_and_says_its_data_is_synthetic() {
    let out = run(&mut compare(&["--days", "14", "--format", "json"]));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&out.stdout).expect("one JSON document");
    assert_eq!(doc["treatment"], "usedRouting");
    assert_eq!(doc["within"], serde_json::json!(["queueId"]));
    assert_eq!(doc["match"], "bucket");
    assert_eq!(doc["alpha"], 0.05);
    assert_eq!(doc["power"], 0.8);
    assert_eq!(doc["dataOrigin"], "emulator");
    let results = doc["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let baseline = doc["baseline"].as_str().unwrap();
    for r in results {
        assert_ne!(r["contender"], baseline);
        for field in [
            "difference",
            "ciLow",
            "ciHigh",
            "pAdjusted",
            "verdict",
            "reversal",
        ] {
            assert!(r.get(field).is_some(), "{field} in {r}");
        }
    }
}

#[test]
fn flags_choose_the_design_baseline_contenders_and_kpis() {
    let out = run(&mut compare(&[
        "--days",
        "3",
        "--granularity",
        "PT1H",
        "--match",
        "hour-of-day",
        "--group-by",
        "requestedRouting",
        "--within",
        "queueId",
        "--baseline",
        "Standard",
        "--contender",
        "Predictive",
        "--kpi",
        "abandonRate",
        "--kpi",
        "avgSpeedOfAnswer",
        "--alpha",
        "0.01",
        "--format",
        "json",
    ]));
    assert_exit(&out, 0);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["treatment"], "requestedRouting");
    assert_eq!(doc["match"], "hour-of-day");
    assert_eq!(doc["baseline"], "Standard");
    assert_eq!(doc["alpha"], 0.01);
    let pairs: Vec<(&str, &str)> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["contender"].as_str().unwrap(), r["kpi"].as_str().unwrap()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("Predictive", "abandonRate"),
            ("Predictive", "avgSpeedOfAnswer")
        ]
    );
}

#[test]
fn settings_that_cannot_run_exit_2_before_any_request() {
    for (args, says) in [
        (&["--days", "3", "--match", "hour-of-day"][..], "PT1H"),
        (&["--days", "3", "--within", "usedRouting"][..], "treatment"),
        (&["--days", "3", "--alpha", "1.5"][..], "alpha"),
        (&["--days", "3", "--power", "0"][..], "power"),
        (&["--days", "3", "--kpi", "abandonrate"][..], "abandonRate"),
        (&["--days", "3", "--within", "queueID"][..], "queueId"),
    ] {
        let out = run(&mut compare(args));
        assert_exit(&out, 2);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        // Refused before the emulator was even started: no banner, no note about it.
        assert!(
            !out.stderr.contains("embedded emulator at"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_baseline_without_data_exits_1_naming_the_strategies_present() {
    let out = run(&mut compare(&["--days", "3", "--baseline", "Retired"]));
    assert_exit(&out, 1);
    assert!(
        out.stderr.contains("Retired") && out.stderr.contains("Standard"),
        "{}",
        out.stderr
    );
}

#[test]
fn live_flags_beside_input_are_refused() {
    let vector = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/comparison/simpson.json"
    );
    let out = run(&mut compare(&["--input", vector, "--days", "3"]));
    assert_exit(&out, 2);
    assert!(out.stderr.contains("--days"), "{}", out.stderr);
}

#[test]
fn the_fallback_table_shows_who_delivered_each_requested_method() {
    let table = run(&mut compare(&["--days", "3", "--fallbacks"]));
    assert_exit(&table, 0);
    assert!(
        table.stdout.starts_with("EMULATOR DATA"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("Fallbacks:"), "{}", table.stdout);

    let json = run(&mut compare(&[
        "--days",
        "3",
        "--fallbacks",
        "--format",
        "json",
    ]));
    assert_exit(&json, 0);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = doc["fallbacks"]["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let share = row["share"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&share), "{row}");
    }
}

#[test]
fn csv_has_one_line_per_result_and_a_data_origin_column() {
    let out = run(&mut compare(&["--days", "3", "--format", "csv"]));
    assert_exit(&out, 0);
    let mut lines = out.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.last(), Some(&"dataOrigin"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|r| r.ends_with(",emulator")),
        "{}",
        out.stdout
    );
}

#[test]
fn evaluate_prints_the_comparison_under_the_ranking_or_says_why_not() {
    let by_method = run(&mut evaluate(&["--days", "3"]));
    assert_exit(&by_method, 0);
    let ranking = by_method
        .stdout
        .find("rank  strategy")
        .expect("the ranking");
    let comparison = by_method
        .stdout
        .find("Comparison on the same traffic against baseline")
        .expect("the comparison");
    assert!(ranking < comparison, "{}", by_method.stdout);

    let by_queue = run(&mut evaluate(&["--days", "3", "--group-by", "queueId"]));
    assert_exit(&by_queue, 0);
    assert!(!by_queue.stdout.contains("Comparison on the same traffic"));
    let note: Vec<&str> = by_queue
        .stdout
        .lines()
        .filter(|l| l.starts_with("no comparison:"))
        .collect();
    assert_eq!(note.len(), 1, "{}", by_queue.stdout);
    assert!(note[0].contains("queueId"), "{}", note[0]);

    let json = run(&mut evaluate(&["--days", "3", "--format", "json"]));
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["report"]["comparison"]["treatment"], "usedRouting");
    assert_eq!(
        doc["audit"]["comparison"]["within"],
        serde_json::json!(["queueId"])
    );
}
