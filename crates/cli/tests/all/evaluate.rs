//! `routing-eval evaluate` as an operator runs it: the real binary, its exit codes, stdout
//! formats and files, with the GENESYS_* and BI_* environment under the test's control.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use genesys_routing_eval::scoring::ScoringConfig;

use crate::support::{
    CLIENT_ID, against, assert_contains, assert_exit, emulator, evaluate, finished, run,
    run_beside_runtime,
};
use routing_eval_emulator::{Endpoint, Fault, ROUTING_METHODS};
use serde_json::Value;

/// `evaluate --days <days>`, a `--strategy` for each of `strategies`, then `more`.
fn evaluate_strategies(days: &str, strategies: &[&str], more: &[&str]) -> Command {
    let mut args = vec!["--days", days];
    for strategy in strategies {
        args.extend(["--strategy", *strategy]);
    }
    args.extend(more);
    evaluate(&args)
}

#[test]
fn without_credentials_it_runs_against_the_embedded_emulator_and_prints_a_ranked_table() {
    let run = run(&mut evaluate(&["--days", "3"]));

    assert_exit(&run, 0);
    assert_contains(&run.stderr, "embedded emulator");
    let mut lines = run.stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("EMULATOR DATA: synthetic")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Routing strategies by usedRouting")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("Scored with the rates preset"),
        "{}",
        run.stdout
    );
    let header = lines.next().unwrap();
    assert!(header.trim_start().starts_with("rank"), "{header}");
    let ranked: Vec<&str> = lines
        .take_while(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    assert!(ranked.len() >= 3, "{}", run.stdout);
    for (i, line) in ranked.iter().enumerate() {
        let mut cells = line.split_whitespace();
        assert_eq!(cells.next(), Some((i + 1).to_string().as_str()));
        let strategy = cells.next().unwrap();
        assert!(ROUTING_METHODS.contains(&strategy), "{line}");
    }
}

#[test]
fn json_format_prints_the_report_and_its_audit_record() {
    let run = run(&mut evaluate(&["--days", "2", "--format", "json"]));

    assert_exit(&run, 0);
    let doc: Value = serde_json::from_str(&run.stdout).expect("stdout is one JSON document");
    let report = &doc["report"];
    let audit = &doc["audit"];
    assert_eq!(report["evaluation_type"], "routing_strategy_performance");
    assert!(!report["data"].as_array().unwrap().is_empty());
    assert_eq!(audit["evaluation_id"], report["evaluation_id"]);
    assert_eq!(audit["job_ids"], report["job_ids"]);
    assert_eq!(audit["webhook_sync_status"], "skipped");
    assert!(audit["requests"]["calls"].as_u64().unwrap() >= 3);
}

#[test]
fn csv_format_has_a_header_and_one_row_per_strategy() {
    let run = run(&mut evaluate(&["--days", "2", "--format", "csv"]));

    assert_exit(&run, 0);
    let mut lines = run.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..4], ["rank", "strategyId", "name", "score"]);
    assert_eq!(header[header.len() - 2..], ["hasData", "dataOrigin"]);
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= 3, "{}", run.stdout);
    let ids: HashSet<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(ids.len(), rows.len(), "one row per strategy");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row.len(), header.len(), "{row:?}");
        assert_eq!(row[0], (i + 1).to_string());
        assert!(ROUTING_METHODS.contains(&row[1]), "{row:?}");
        assert_eq!(
            row.last(),
            Some(&"emulator"),
            "an emulator run says so per row"
        );
    }
}

#[test]
fn bad_usage_exits_2_with_the_cause() {
    let run = run(&mut evaluate(&["--days", "many"]));

    assert_exit(&run, 2);
    assert!(run.stdout.is_empty());
    let first = run.stderr.lines().next().unwrap();
    assert!(
        first.starts_with("error:") && first.contains("--days"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_time_zone_exits_2_with_a_one_line_cause() {
    let run = run(&mut evaluate(&["--time-zone", "Mars/Olympus_Mons"]));

    assert_exit(&run, 2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "validation comes before anything else: {}",
        run.stderr
    );
    assert!(
        lines[0].starts_with("routing-eval: ")
            && lines[0].contains("--time-zone is invalid")
            && lines[0].contains("Mars/Olympus_Mons"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_genesys_host_without_credentials_is_a_configuration_error_not_the_emulator() {
    let run = run(evaluate(&["--days", "1"]).env("GENESYS_API_HOST", "https://api.mypurecloud.de"));

    assert_exit(&run, 2);
    assert!(!run.stderr.contains("embedded emulator"), "{}", run.stderr);
    assert_contains(&run.stderr, "GENESYS_CLIENT_ID");
}

/// A loopback URL nothing listens on.
pub(crate) fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/routing")
}

pub(crate) fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[test]
fn webhook_down_exits_3_and_leaves_a_dead_letter_file() {
    let dir = tempfile::tempdir().unwrap();
    let dead = dir.path().join("dead-letter");
    let audit = dir.path().join("audit.jsonl");
    let run = run(evaluate(&[
        "--emulator",
        "--days",
        "2",
        "--dead-letter-dir",
        dead.to_str().unwrap(),
        "--audit-log",
        audit.to_str().unwrap(),
    ])
    .env("BI_WEBHOOK_URL", closed_port_url()));

    assert_exit(&run, 3);
    assert!(run.stdout.contains("rank"), "the table is still printed");
    let [file] = files_in(&dead).try_into().unwrap();
    assert_eq!(file.extension().unwrap(), "json");
    let body: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(body["evaluation_type"], "routing_strategy_performance");
    assert_eq!(body["dataOrigin"], "emulator");
    assert_contains(&run.stderr, file.to_str().unwrap());
    let audit_text = std::fs::read_to_string(&audit).unwrap();
    let record: Value = serde_json::from_str(audit_text.trim_end()).unwrap();
    assert_eq!(record["webhook_sync_status"], "failed");
    assert_eq!(record["evaluation_id"], body["evaluation_id"]);
    let webhook_id = file.file_stem().unwrap().to_str().unwrap();
    assert_eq!(record["sink_outcomes"][0]["webhook_id"], webhook_id);
}

#[test]
fn audit_log_gets_one_line_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let run = run(&mut evaluate(&[
        "--emulator",
        "--days",
        "1",
        "--audit-log",
        audit.to_str().unwrap(),
    ]));

    assert_exit(&run, 0);
    let text = std::fs::read_to_string(&audit).unwrap();
    let [line] = text.lines().collect::<Vec<_>>().try_into().unwrap();
    let record: Value = serde_json::from_str(line).unwrap();
    assert!(record["audit_id"].as_str().unwrap().starts_with("aud_"));
    assert_eq!(record["webhook_sync_status"], "skipped");
    assert_eq!(record["job_ids"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genesys_api_host_with_credentials_is_used_as_a_real_organisation() {
    let emulator = emulator(|b| b.job_latency(Duration::from_millis(50))).await;
    let mut cmd = evaluate(&["--days", "5", "--format", "json"]);
    against(&mut cmd, &emulator);

    let run = run_beside_runtime(cmd).await;

    assert_exit(&run, 0);
    assert!(!run.stderr.contains("embedded emulator"), "{}", run.stderr);
    let stats = emulator.stats();
    assert_eq!(stats.token_requests, 1);
    assert_eq!(stats.submissions, 1);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["audit"]["requests"]["calls"], stats.requests);

    let mut wrong = evaluate(&["--days", "5"]);
    wrong
        .env("GENESYS_API_HOST", emulator.base_url().as_str())
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", "not-the-secret");
    let refused = run_beside_runtime(wrong).await;
    assert_exit(&refused, 1);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(!refused.stderr.contains("not-the-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_cancels_the_running_job_before_exiting() {
    let emulator = emulator(|b| b.job_latency(Duration::from_secs(600))).await;
    let mut cmd = evaluate(&["--days", "5"]);
    against(&mut cmd, &emulator)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();

    // Wait (bounded) until the job is submitted and polled, then interrupt as a terminal would.
    for _ in 0..200 {
        if emulator.stats().status_polls > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(emulator.stats().submissions, 1, "the job never started");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let run = tokio::task::spawn_blocking(move || finished(child.wait_with_output().unwrap()))
        .await
        .unwrap();

    assert_exit(&run, 1);
    assert_contains(&run.stderr, "interrupted; 0 job(s)");
    assert_eq!(emulator.stats().deleted_jobs.len(), 1, "{}", run.stderr);
}

/// The table's header cells and its rows, split where two or more spaces separate columns (a
/// header such as `service level %` or a name holds single spaces).
fn table(stdout: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut lines = stdout
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("rank"));
    let header = cells(lines.next().expect("a header"));
    let rows = lines
        .take_while(|l| {
            l.trim_start()
                .starts_with(|c: char| c.is_ascii_digit() || c == '-')
        })
        .map(cells)
        .collect();
    (header, rows)
}

#[test]
fn the_table_names_the_preset_its_weights_and_shows_every_kpi_it_scored() {
    for (args, preset, kpis) in [
        (
            &["--days", "2"][..],
            ScoringConfig::rates(),
            "Scored with the rates preset: serviceLevel 2 (higher is better), abandonRate 1.5 (lower is better), avgSpeedOfAnswer 1 (lower is better), avgHandleTime 0.5 (lower is better)",
        ),
        (
            &["--days", "2", "--preset", "tutorial"][..],
            ScoringConfig::tutorial(),
            "Scored with the tutorial preset: handledCalls 0.3 (higher is better), avgSpeedOfAnswer 0.4 (lower is better), abandonedCalls 0.3 (lower is better)",
        ),
    ] {
        let run = run(&mut evaluate(args));

        assert_exit(&run, 0);
        let mut lines = run.stdout.lines();
        assert!(
            lines.next().unwrap().starts_with("EMULATOR DATA"),
            "an emulator run opens with its banner: {}",
            run.stdout
        );
        assert_eq!(lines.nth(1), Some(kpis), "{}", run.stdout);
        let (header, rows) = table(&run.stdout);
        for k in &preset.kpis {
            let column = match k.metric.as_str() {
                "serviceLevel" => "service level %",
                "abandonRate" => "abandon %",
                "avgSpeedOfAnswer" => "ASA s",
                "avgHandleTime" => "AHT s",
                "handledCalls" => "handled",
                "abandonedCalls" => "abandoned",
                other => other,
            };
            assert!(
                header.iter().any(|h| h == column),
                "{column} ({}) not in {header:?}",
                k.metric
            );
        }
        assert!(rows.len() >= 3, "{}", run.stdout);
    }
}

#[test]
fn a_requested_strategy_without_data_is_listed_as_no_data_without_a_rank() {
    let in_format = |format: &str| {
        run(&mut evaluate_strategies(
            "2",
            &["Direct", "Retired"],
            &["--format", format],
        ))
    };
    let table_run = in_format("table");
    assert_exit(&table_run, 0);
    let (_, rows) = table(&table_run.stdout);
    assert_eq!(rows.len(), 2, "{}", table_run.stdout);
    assert_eq!(rows[0][..2], ["1", "Direct"]);
    assert_eq!(rows[1][..2], ["-", "Retired"]);
    assert_eq!(rows[1].last().map(String::as_str), Some("no data"));

    let json = in_format("json");
    assert_exit(&json, 0);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let retired = doc["report"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["strategyId"] == "Retired")
        .unwrap()
        .clone();
    assert_eq!(
        (&retired["has_data"], &retired["rank"]),
        (&Value::Bool(false), &Value::Null)
    );

    let csv = in_format("csv");
    assert_exit(&csv, 0);
    let last: Vec<&str> = csv.stdout.lines().last().unwrap().split(',').collect();
    assert_eq!(last[..2], ["", "Retired"]);
    assert_eq!(
        last[last.len() - 2..],
        ["false", "emulator"],
        "hasData, dataOrigin"
    );
}

#[test]
fn none_of_the_requested_strategies_having_data_exits_1() {
    let run = run(&mut evaluate_strategies("2", &["Retired", "Gone"], &[]));

    assert_exit(&run, 1);
    assert_contains(
        &run.stderr,
        "none of the requested strategies has data in the window (Retired, Gone)",
    );
    let (_, rows) = table(&run.stdout);
    assert!(rows.iter().all(|r| r[0] == "-"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_routing_method_in_the_wrong_case_exits_2_with_the_spelling_before_any_request() {
    let emulator = emulator(|b| b).await;
    let mut cmd = evaluate(&["--days", "2", "--strategy", "bullseye"]);
    against(&mut cmd, &emulator);

    let run = run_beside_runtime(cmd).await;

    assert_exit(&run, 2);
    assert_contains(&run.stderr, "did you mean `Bullseye`");
    assert_eq!(emulator.stats().requests, 0);
}

#[test]
fn control_characters_in_ids_are_escaped_in_the_table() {
    let hostile = "Evil\x1b[2J\n   1  Direct  9.999";
    let run = run(&mut evaluate_strategies("1", &["Direct", hostile], &[]));

    assert_exit(&run, 0);
    assert!(!run.stdout.contains('\x1b'), "{:?}", run.stdout);
    assert_contains(&run.stdout, "Evil\\u{1b}[2J\\n   1  Direct  9.999");
    let (_, rows) = table(&run.stdout);
    assert_eq!(rows.len(), 2, "no forged line: {}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn control_characters_in_server_text_are_escaped_on_stderr() {
    let emulator = emulator(|b| {
        b.fault(
            Endpoint::SubmitJob,
            Fault::JobFailed {
                message: "disk full\x1b[2K\rrouting-eval: all good".into(),
            },
            1,
        )
    })
    .await;
    let mut cmd = evaluate(&["--days", "2"]);
    against(&mut cmd, &emulator);

    let run = run_beside_runtime(cmd).await;

    assert_exit(&run, 1);
    assert!(!run.stderr.contains(['\x1b', '\r']), "{:?}", run.stderr);
    assert_contains(&run.stderr, "disk full\\u{1b}[2K\\rrouting-eval: all good");
}

#[test]
fn csv_cells_that_a_spreadsheet_would_run_are_neutralised() {
    let run = run(&mut evaluate_strategies(
        "1",
        &[
            "Direct",
            "=HYPERLINK(\"http://attacker\")",
            "@SUM(A1)",
            "+1+cmd",
        ],
        // With `=`, so that `-2+3` is not taken for a flag.
        &["--strategy=-2+3", "--format", "csv"],
    ));

    assert_exit(&run, 0);
    assert_contains(&run.stdout, "\"'=HYPERLINK(\"\"http://attacker\"\")\"");
    assert_contains(&run.stdout, ",\"'@SUM(A1)\",");
    assert_contains(&run.stdout, ",\"'+1+cmd\",");
    assert_contains(&run.stdout, ",\"'-2+3\",");
    for line in run.stdout.lines() {
        let id = line.split(',').nth(1).unwrap();
        assert!(!id.starts_with(['=', '+', '-', '@']), "{line}");
    }
}

#[test]
fn counts_are_integers_in_json_and_csv() {
    let json = run(&mut evaluate(&["--days", "2", "--format", "json"]));
    assert_exit(&json, 0);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    for record in doc["report"]["data"].as_array().unwrap() {
        for kpi in ["offered", "answered", "handledCalls", "abandonedCalls"] {
            assert!(record[kpi].is_u64(), "{kpi} in {record}");
        }
    }

    let csv = run(&mut evaluate(&["--days", "2", "--format", "csv"]));
    assert_exit(&csv, 0);
    let mut lines = csv.stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let offered = header.iter().position(|h| *h == "offered").unwrap();
    for line in lines {
        let cell = line.split(',').nth(offered).unwrap();
        assert!(cell.parse::<u64>().is_ok(), "offered `{cell}` in {line}");
    }
}

#[test]
fn a_reader_that_stops_reading_ends_the_run_quietly() {
    use std::process::Stdio;
    let mut child = evaluate(&["--days", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -0`: the reader goes away before the report is written.
    drop(child.stdout.take());

    let run = finished(child.wait_with_output().unwrap());

    assert_exit(&run, 0);
    assert!(
        !run.stderr.to_lowercase().contains("pipe"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn grouped_by_queue_the_table_shows_queue_names_and_csv_keeps_the_ids_beside_them() {
    let scenario = routing_eval_emulator::Scenario::default_centre();
    let run_table = run(&mut evaluate(&["--days", "2", "--group-by", "queueId"]));
    assert_exit(&run_table, 0);
    assert!(
        run_table.stdout.contains("Technical Support L2"),
        "{}",
        run_table.stdout
    );
    assert!(
        !run_table.stdout.contains(&scenario.queues[0].id),
        "names replace ids: {}",
        run_table.stdout
    );
    let run_csv = run(&mut evaluate(&[
        "--days",
        "2",
        "--group-by",
        "queueId",
        "--format",
        "csv",
    ]));
    assert_exit(&run_csv, 0);
    for queue in &scenario.queues {
        let row = run_csv
            .stdout
            .lines()
            .find(|l| l.contains(&queue.id))
            .unwrap_or_else(|| panic!("a row for {}: {}", queue.name, run_csv.stdout));
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells[1], queue.id);
        assert_eq!(cells[2], queue.name);
    }
}
