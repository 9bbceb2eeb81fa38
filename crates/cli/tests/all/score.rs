//! `routing-eval score`: the shared vectors, large files byte-identical to the reference
//! reader and writer, stdin, formats and exit codes.

use crate::support::routing_eval;

use genesys_routing_eval::score_file::{ScoreFile, write_json};
use genesys_routing_eval::scoring::score;
use serde_json::Value;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/scoring");

fn vector(name: &str) -> String {
    format!("{VECTORS}/{name}.json")
}

#[test]
fn score_command_prints_vector_results_in_input_order() {
    let path = vector("missing-renormalize");
    let (code, stdout, stderr) = routing_eval(&["score", "--input", &path], None);
    assert_eq!(code, 0, "{stderr}");
    let out: Value = serde_json::from_str(&stdout).unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let got = out["scores"].as_array().unwrap();
    let want = doc["expected"].as_array().unwrap();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["strategyId"], w["strategyId"]);
        assert_eq!(g["percentileRank"], w["percentileRank"]);
        match (g["score"].as_f64(), w["score"].as_f64()) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-9),
            (a, b) => assert_eq!(a, b),
        }
        assert_eq!(g.as_object().unwrap().len(), 4, "{g}");
    }
}

/// A score file large enough for every fast path of the command (two parsing threads,
/// rows read as predicted, output formatted on two threads in pieces), with the odd row
/// that breaks the prediction: a metric missing, a new one, whitespace, keys swapped.
fn large_score_file(rows: usize) -> String {
    let mut doc = String::from(r#"{"name":"large","rows":["#);
    for i in 0..rows {
        if i > 0 {
            doc.push(',');
        }
        let speed = match i % 50 {
            0 => "null".to_owned(),
            _ => format!("{}.{:03}", i * 7 % 900, i % 1000),
        };
        let (handled, abandoned) = (i * 31 % 5000, i * 17 % 400);
        let row = match i % 997 {
            1 => format!(r#"{{"strategyId":"s{i}","metrics":{{"handledCalls":{handled}}}}}"#),
            2 => format!(
                r#"{{"strategyId":"s{i}","metrics":{{"handledCalls":{handled},"avgSpeedOfAnswer":{speed},"abandonedCalls":{abandoned},"offered":{i}}}}}"#
            ),
            3 => format!(
                r#"{{ "strategyId": "s{i}", "metrics": {{ "handledCalls": {handled}, "abandonedCalls": {abandoned} }} }}"#
            ),
            4 => format!(
                r#"{{"metrics":{{"abandonedCalls":{abandoned},"handledCalls":{handled}}},"strategyId":"s{i}"}}"#
            ),
            _ => format!(
                r#"{{"strategyId":"s{i}","metrics":{{"handledCalls":{handled},"avgSpeedOfAnswer":{speed},"abandonedCalls":{abandoned}}}}}"#
            ),
        };
        doc.push_str(&row);
    }
    doc.push_str("]}");
    doc
}

/// What `score` must print for `doc`: rows read by serde (the reference reader, not the
/// command's fast parser), scored by the library, written by `write_json` on one thread
/// (which the library's tests hold byte-identical to serde_json).
fn expected_output(doc: &str) -> String {
    let file: ScoreFile = serde_json::from_str(doc).unwrap();
    let scores = score(&file.config_or_default(), &file.cohort).unwrap();
    let mut out = Vec::new();
    write_json(&scores, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn score_command_output_on_a_large_file_is_byte_identical_to_the_reference() {
    let doc = large_score_file(120_000);
    assert!(doc.len() > 2 << 20, "large enough for two parsing threads");
    let expected = expected_output(&doc);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.json");
    std::fs::write(&path, &doc).unwrap();
    // Mapped from a path, and read from standard input.
    let (code, stdout, stderr) = routing_eval(&["score", "--input", path.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout == expected,
        "output from a file differs from the reference"
    );
    let (code, stdout, stderr) = routing_eval(&["score", "--input", "-"], Some(doc.as_bytes()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout == expected,
        "output from stdin differs from the reference"
    );
}

#[test]
fn score_command_reads_stdin_and_prints_table_and_csv() {
    let input = br#"{"rows": [{"strategyId": "Slow", "metrics": {"handledCalls": 10, "avgSpeedOfAnswer": 120, "abandonedCalls": 4}},
                              {"strategyId": "Fast, Inc", "metrics": {"handledCalls": 10, "avgSpeedOfAnswer": 5, "abandonedCalls": 4}}]}"#;
    let (code, table, stderr) =
        routing_eval(&["score", "--input", "-", "--format", "table"], Some(input));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("rank  strategy"), "{table}");
    assert!(
        lines[1].contains("Fast, Inc") && lines[1].trim_start().starts_with('1'),
        "{table}"
    );
    assert!(lines[2].contains("Slow"), "{table}");

    let (code, csv, _) = routing_eval(&["score", "--input", "-", "--format", "csv"], Some(input));
    assert_eq!(code, 0);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "strategyId,score,coverage,percentileRank,handledCalls.normalized,avgSpeedOfAnswer.normalized,abandonedCalls.normalized"
    );
    // 0.3 * 0.5 + 0.4 * 0 + 0.3 * 0.5 over weights adding to 1.
    assert_eq!(lines[1], "Slow,0.3,1.0,0.5,0.5,0.0,0.5");
    assert_eq!(
        lines[2],
        "\"Fast, Inc\",0.7000000000000001,1.0,1.0,0.5,1.0,0.5"
    );
}

#[test]
fn score_command_exits_2_on_malformed_file_or_invalid_config() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\"rows\": [\n {\"strategyId\": 7}]}").unwrap();
    let (code, stdout, stderr) = routing_eval(&["score", "--input", bad.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("`rows[0].strategyId`") && stderr.contains("line 2, column"),
        "{stderr}"
    );

    let invalid = br#"{"config": {"kpis": [{"metric": "a", "weight": -2, "direction": "lower_is_better"}]}, "rows": []}"#;
    let (code, _, stderr) = routing_eval(&["score", "--input", "-"], Some(invalid));
    assert_eq!(code, 2);
    assert!(stderr.contains("scoring KPI `a`: weight -2"), "{stderr}");

    let (code, _, stderr) = routing_eval(
        &[
            "score",
            "--input",
            dir.path().join("absent.json").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "a missing file is bad usage");
    assert!(stderr.contains("cannot read"), "{stderr}");

    let reject = br#"{"config": {"kpis": [{"metric": "a", "weight": 1, "direction": "lower_is_better"}], "missing": "reject"},
                     "rows": [{"strategyId": "x", "metrics": {}}, {"strategyId": "y", "metrics": {"a": 1}}]}"#;
    let (code, _, stderr) = routing_eval(&["score", "--input", "-"], Some(reject));
    assert_eq!(code, 1);
    assert!(stderr.contains("row 0 (`x`): a"), "{stderr}");
}

/// `score` on `input` from stdin: the exit code and the first line of stderr.
fn refused(input: &str) -> (i32, String) {
    let (code, stdout, stderr) = routing_eval(&["score", "--input", "-"], Some(input.as_bytes()));
    assert!(code != 0 || stderr.is_empty(), "{stderr}");
    if code != 0 {
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    }
    (code, stderr)
}

const KPI: &str = r#"{"metric": "handledCall", "weight": 1, "direction": "higher_is_better"}"#;

#[test]
fn score_command_refuses_nonsense_naming_what_and_where() {
    let cases: [(String, &[&str]); 7] = [
        (
            format!(r#"{{"config": {{"kpis": [{KPI}]}}, "rows": [{{"strategyId": "a", "metrics": {{"handledCalls": 3}}}}]}}"#),
            &["scoring KPI `handledCall`", "did you mean `handledCalls`?"],
        ),
        (
            r#"{"rows": [{"strategyId": "a", "metrics": {"handledcalls": 3}}]}"#.to_owned(),
            &[
                "no row has a value for any default KPI (handledCalls, avgSpeedOfAnswer, abandonedCalls)",
                "did you mean `handledcalls` for `handledCalls`?",
                "add one naming the rows' metrics",
            ],
        ),
        (
            r#"{"config": {"kpis": [{"metric": "x", "weight": 1e308, "direction": "higher_is_better"},
                                    {"metric": "y", "weight": 1e308, "direction": "higher_is_better"}]},
                "rows": [{"strategyId": "a", "metrics": {"x": 1, "y": 2}}]}"#.to_owned(),
            &["weights add up to more than", "scale them down"],
        ),
        (
            r#"{"rows": [{"strategyId": "a", "metrics": {"handledCalls": 3}},
                         {"strategyId": "b", "metrics": {"handledCalls": 4}},
                         {"strategyId": "a", "metrics": {"handledCalls": 5}}]}"#.to_owned(),
            &["row 2: strategy id `a` repeats row 0", "at `rows[2].strategyId`"],
        ),
        (
            "{\"rows\": [{\"strategyId\": \"a\", \"metrics\": {\"handledCalls\": 3}},\n {\"strategyId\": \"b\", \"metrics\": {\"handledCalls\": 4, \"handledCalls\": 5}}]}".to_owned(),
            &["metric `handledCalls` is given twice in this row", "`rows[1].metrics`", "line 2"],
        ),
        (
            r#"{"rows": [{"strategyId": "a", "metrics": {"handledCalls": 3}},
                         {"strategyId": "b", "metrics": {"handledCalls": -4}}]}"#.to_owned(),
            &["row 1 (`b`): handledCalls is -4; a count cannot be negative", "rows[1].metrics.handledCalls"],
        ),
        (
            r#"{"rows": [{"strategyId": "a", "metrics": {"handledCalls": 3, "avgSpeedOfAnswer": -1}}]}"#.to_owned(),
            &["row 0 (`a`): avgSpeedOfAnswer is -1; it cannot be negative"],
        ),
    ];
    for (input, words) in cases {
        let (code, stderr) = refused(&input);
        assert_eq!(code, 2, "{input}: {stderr}");
        for w in words {
            assert!(stderr.contains(w), "`{w}` not in {stderr}");
        }
    }
}

#[test]
fn score_command_accepts_a_byte_order_mark_and_refuses_a_directory() {
    let with_bom =
        "\u{feff}{\"rows\": [{\"strategyId\": \"a\", \"metrics\": {\"handledCalls\": 3}}]}";
    let (code, stdout, stderr) =
        routing_eval(&["score", "--input", "-"], Some(with_bom.as_bytes()));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with(r#"{"scores":[{"strategyId":"a""#),
        "{stdout}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.json");
    std::fs::write(&file, with_bom).unwrap();
    let (code, _, stderr) = routing_eval(&["score", "--input", file.to_str().unwrap()], None);
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) =
        routing_eval(&["score", "--input", dir.path().to_str().unwrap()], None);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("is a directory"), "{stderr}");
}

#[test]
fn score_command_csv_neutralises_formula_ids() {
    let input = br#"{"rows": [{"strategyId": "=cmd|' /C calc'!A0", "metrics": {"handledCalls": 3}},
                              {"strategyId": "-2+3", "metrics": {"handledCalls": 4}}]}"#;
    let (code, csv, stderr) =
        routing_eval(&["score", "--input", "-", "--format", "csv"], Some(input));
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[1].starts_with("\"'=cmd|' /C calc'!A0\","), "{csv}");
    assert!(lines[2].starts_with("\"'-2+3\","), "{csv}");
}
