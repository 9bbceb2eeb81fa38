//! `routing-eval compare --input`: the vectors through the real binary (JSON equal to the
//! engine's), flags over the file's settings, the table and CSV, exit codes and messages.

use crate::support::routing_eval;

use genesys_routing_eval::comparison::{ComparisonFile, compare};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/vectors/comparison"
);

fn vector(name: &str) -> String {
    format!("{VECTORS}/{name}.json")
}

/// The engine's comparison of `path`, the file's settings changed by `adjust`.
fn engine(
    path: &str,
    adjust: impl FnOnce(
        genesys_routing_eval::comparison::ComparisonConfigBuilder,
    ) -> genesys_routing_eval::comparison::ComparisonConfigBuilder,
) -> Value {
    let file = ComparisonFile::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let config = adjust(file.config()).build().unwrap();
    serde_json::to_value(compare(&config, file.table()).unwrap()).unwrap()
}

#[test]
fn json_output_equals_the_engine_for_every_vector() {
    let mut names: Vec<String> = std::fs::read_dir(VECTORS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for path in names {
        let (code, stdout, stderr) =
            routing_eval(&["compare", "--input", &path, "--format", "json"], None);
        assert_eq!(code, 0, "{path}: {stderr}");
        let printed: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed, engine(&path, |b| b), "{path}");
        // The contract's object at the top level, with the design the file implies.
        assert_eq!(printed["treatment"], "usedRouting");
        assert_eq!(printed["match"], "bucket");
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(printed["baseline"], doc["expected"]["baseline"], "{path}");
    }
}

#[test]
fn flags_override_the_files_settings() {
    let path = vector("split-rows");
    let (code, stdout, stderr) = routing_eval(
        &[
            "compare",
            "--input",
            &path,
            "--format",
            "json",
            "--alpha",
            "0.1",
            "--power",
            "0.5",
            "--kpi",
            "avgHandleTime",
            "--kpi",
            "abandonRate",
        ],
        None,
    );
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    let expected = engine(&path, |b| {
        b.alpha(0.1)
            .power(0.5)
            .kpi_names(["abandonRate", "avgHandleTime"])
    });
    assert_eq!(printed, expected);
    assert_eq!(printed["alpha"], 0.1);
    assert_eq!(printed["results"].as_array().unwrap().len(), 2);
    // The file names contender Last; the flag replaces it.
    let (code, stdout, _) = routing_eval(
        &[
            "compare",
            "--input",
            &path,
            "--format",
            "json",
            "--contender",
            "Standard",
            "--baseline",
            "Last",
        ],
        None,
    );
    assert_eq!(code, 0);
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed["baseline"], "Last");
    assert_eq!(printed["results"][0]["contender"], "Standard");
}

#[test]
fn the_table_says_verdicts_in_words_with_units_reversal_and_detectable_differences() {
    let (code, stdout, stderr) = routing_eval(&["compare", "--input", &vector("simpson")], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("against baseline Standard"), "{stdout}");
    assert!(stdout.contains("95% interval"), "{stdout}");
    let abandon = stdout
        .lines()
        .find(|l| l.starts_with("Predictive  abandonRate"))
        .expect("an abandonRate line");
    for part in [
        "8.88",
        "5.97",
        "-2.91",
        "[-4.30, -1.51]",
        "Predictive better *",
        "100 / 100",
    ] {
        assert!(abandon.contains(part), "{part} in {abandon}");
    }
    // Units in the headers: one table of rates (%, pp), one of means (s).
    let headers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("contender  "))
        .collect();
    assert_eq!(headers.len(), 2, "{stdout}");
    for column in [
        "baseline %",
        "contender %",
        "difference pp",
        "95% interval pp",
        "coverage %",
    ] {
        assert!(headers[0].contains(column), "{column} in {}", headers[0]);
    }
    for column in [
        "baseline s",
        "contender s",
        "difference s",
        "95% interval s",
    ] {
        assert!(headers[1].contains(column), "{column} in {}", headers[1]);
    }
    assert!(
        stdout.contains(
            "* reversal: pooled over all their traffic, the difference points the other way"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("confounded by traffic mix"), "{stdout}");
    assert!(stdout.contains(
        "Predictive, abandonRate: differences smaller than 1.99 pp are not detectable with this data"
    ));
    let asa = stdout
        .lines()
        .find(|l| l.starts_with("Predictive  avgSpeedOfAnswer"))
        .expect("an avgSpeedOfAnswer line");
    assert!(asa.contains("-9.43  [-13.28, -5.58]"), "{asa}");

    let (_, stdout, _) = routing_eval(&["compare", "--input", &vector("single-cell")], None);
    assert!(stdout.contains("not enough data"), "{stdout}");
    assert!(stdout.contains("inconclusive"), "{stdout}");
    assert!(!stdout.contains("reversal"), "{stdout}");
    let (_, stdout, _) = routing_eval(&["compare", "--input", &vector("tie-baseline")], None);
    assert!(stdout.contains("Manual better"), "{stdout}");
    let (_, stdout, _) = routing_eval(&["compare", "--input", &vector("split-rows")], None);
    assert!(stdout.contains("99% interval"), "alpha 0.01: {stdout}");
}

#[test]
fn csv_has_a_header_and_one_line_per_result() {
    let path = vector("several-contenders");
    let (code, stdout, stderr) =
        routing_eval(&["compare", "--input", &path, "--format", "csv"], None);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    let expected = engine(&path, |b| b);
    let results = expected["results"].as_array().unwrap();
    assert_eq!(lines.len(), results.len() + 1);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "baseline");
    assert_eq!(header.len(), 25);
    let first: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(first.len(), 25);
    assert_eq!(first[1], results[0]["contender"]);
    let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
    assert_eq!(first[column("verdict")], results[0]["verdict"]);
    let difference: f64 = first[column("difference")].parse().unwrap();
    assert_eq!(difference, results[0]["difference"].as_f64().unwrap());
}

#[test]
fn reads_stdin() {
    let bytes = std::fs::read(vector("single-cell")).unwrap();
    let (code, stdout, stderr) = routing_eval(
        &["compare", "--input", "-", "--format", "json"],
        Some(&bytes),
    );
    assert_eq!(code, 0, "{stderr}");
    let printed: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(printed, engine(&vector("single-cell"), |b| b));
}

#[test]
fn bad_input_and_settings_exit_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let (code, _, stderr) = routing_eval(&["compare", "--input", missing.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read") && stderr.contains("check the path"),
        "{stderr}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"rows\": [\n {\"cell\": [\"q\"], \"strategy\": \"A\",,\n",
    )
    .unwrap();
    let (code, _, stderr) = routing_eval(&["compare", "--input", bad.to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("bad.json"), "{stderr}");
    assert!(stderr.contains("line 2 column"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let (code, _, stderr) =
        routing_eval(&["compare", "--input", dir.path().to_str().unwrap()], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("is a directory"), "{stderr}");

    let path = vector("simpson");
    let (code, _, stderr) = routing_eval(
        &[
            "compare", "--input", &path, "--alpha", "1.5", "--power", "0",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("alpha is invalid: 1.5 is outside (0, 1)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("power is invalid: 0 is outside (0, 1)"),
        "{stderr}"
    );

    let (code, _, stderr) =
        routing_eval(&["compare", "--input", &path, "--kpi", "abandonrat"], None);
    assert_eq!(code, 2);
    assert!(stderr.contains("did you mean `abandonRate`"), "{stderr}");

    let (code, _, stderr) = routing_eval(
        &["compare", "--input", &path, "--baseline", "Bullseye"],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("`Bullseye` has no cells; the strategies present are: Predictive, Standard"),
        "{stderr}"
    );
}

#[test]
fn strategy_ids_cannot_drive_the_terminal() {
    let json = br#"{"rows": [
      {"cell": ["q"], "strategy": "Evil\u001b[2J", "counts": {"offered": 10, "abandoned": 1}},
      {"cell": ["q"], "strategy": "B", "counts": {"offered": 20, "abandoned": 2}}]}"#;
    let (code, stdout, stderr) = routing_eval(&["compare", "--input", "-"], Some(json));
    assert_eq!(code, 0, "{stderr}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("Evil\\u{1b}[2J"), "{stdout}");
}
