//! `routing-eval evaluate` kept safe for operators, run as they run it: synthetic data never
//! passes for real, a runaway window or a bad setting is refused before any request, a slow
//! server is never silent, and no payload is lost. The real binary, the emulator on loopback.

use std::process::Command;
use std::time::Duration;

use routing_eval_emulator::{Emulator, Endpoint, Fault};
use serde_json::Value;

use crate::evaluate::{closed_port_url, files_in};
use crate::support::{Run, assert_contains, assert_exit, evaluate, run, run_beside_runtime};

const CLIENT_ID: &str = "cli-safety-client";
const CLIENT_SECRET: &str = "cli-safety-secret";

async fn organisation(
    configure: impl FnOnce(
        routing_eval_emulator::EmulatorBuilder,
    ) -> routing_eval_emulator::EmulatorBuilder,
) -> Emulator {
    configure(
        Emulator::builder()
            .job_latency(Duration::from_millis(20))
            .credentials(CLIENT_ID, CLIENT_SECRET),
    )
    .start()
    .await
    .unwrap()
}

/// `evaluate` against `emulator` as if it were a real organisation (GENESYS_* set).
fn against(emulator: &Emulator, args: &[&str]) -> Command {
    let mut cmd = evaluate(args);
    cmd.env("GENESYS_API_HOST", emulator.base_url().as_str())
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET);
    cmd
}

fn problem_lines(run: &Run) -> Vec<&str> {
    run.stderr.lines().collect()
}

#[test]
fn a_misspelt_genesys_variable_exits_2_naming_the_nearest_known_one_and_never_runs_the_emulator() {
    let run = run(evaluate(&["--days", "1"]).env("GENESYS_CLIENTID", "my-client"));

    assert_exit(&run, 2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(!run.stderr.contains("emulator at"), "{}", run.stderr);
    assert_eq!(
        problem_lines(&run)[0],
        "routing-eval: unknown environment variable GENESYS_CLIENTID; did you mean GENESYS_CLIENT_ID?"
    );
}

#[test]
fn a_webhook_setting_alone_is_a_configuration_error_not_the_emulator() {
    for (variable, value) in [
        ("BI_WEBHOOK_URL", closed_port_url()),
        (
            "BI_WEBHOOK_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned(),
        ),
    ] {
        let run = run(evaluate(&["--days", "1"]).env(variable, value));

        assert_exit(&run, 2);
        assert!(run.stdout.is_empty(), "{variable}: {}", run.stdout);
        assert!(
            !run.stderr.contains("emulator at"),
            "{variable}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("GENESYS_REGION or GENESYS_API_HOST is required"),
            "{variable}: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains(".region("),
            "no builder methods: {}",
            run.stderr
        );
    }
}

#[test]
fn an_emulator_run_says_so_in_the_table_the_json_the_csv_and_the_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let audit_arg = audit.to_str().unwrap();

    let table = run(&mut evaluate(&["--emulator", "--days", "1"]));
    let json = run(&mut evaluate(&[
        "--emulator",
        "--days",
        "1",
        "--format",
        "json",
        "--audit-log",
        audit_arg,
    ]));
    let csv = run(&mut evaluate(&[
        "--emulator",
        "--days",
        "1",
        "--format",
        "csv",
    ]));

    for r in [&table, &json, &csv] {
        assert_exit(r, 0);
    }
    assert_eq!(
        table.stdout.lines().next().unwrap(),
        "EMULATOR DATA: synthetic figures from the embedded emulator, not from Genesys Cloud"
    );
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["report"]["dataOrigin"], "emulator");
    assert_eq!(doc["audit"]["dataOrigin"], "emulator");
    let logged: Value =
        serde_json::from_str(std::fs::read_to_string(&audit).unwrap().trim_end()).unwrap();
    assert_eq!(logged["dataOrigin"], "emulator");
    let mut rows = csv.stdout.lines();
    assert!(rows.next().unwrap().ends_with(",dataOrigin"));
    assert!(rows.all(|row| row.ends_with(",emulator")), "{}", csv.stdout);
}

#[test]
fn the_implicit_emulator_refuses_to_write_the_audit_log_without_the_emulator_flag() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");

    let run = run(&mut evaluate(&[
        "--days",
        "1",
        "--audit-log",
        audit.to_str().unwrap(),
    ]));

    assert_exit(&run, 2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let [line] = problem_lines(&run).try_into().unwrap();
    assert!(
        line.contains("refusing to send emulator data to the audit log (--audit-log)"),
        "{line}"
    );
    assert!(line.contains("pass --emulator"), "{line}");
    assert_eq!(
        std::fs::read_to_string(&audit).unwrap_or_default(),
        "",
        "no record written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_flag_ignores_genesys_settings_with_a_note_and_makes_no_request_to_them() {
    let real = organisation(|b| b).await;

    let run = run_beside_runtime(against(
        &real,
        &["--emulator", "--days", "1", "--format", "json"],
    ))
    .await;

    assert_exit(&run, 0);
    assert_contains(
        &run.stderr,
        "--emulator: ignoring GENESYS_API_HOST, GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET",
    );
    assert_eq!(real.stats().requests, 0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["report"]["dataOrigin"], "emulator");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_organisation_run_is_marked_genesys() {
    let org = organisation(|b| b).await;

    let run = run_beside_runtime(against(&org, &["--days", "1", "--format", "json"])).await;

    assert_exit(&run, 0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["report"]["dataOrigin"], "genesys");
    assert_eq!(doc["audit"]["dataOrigin"], "genesys");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_over_the_job_budget_exits_2_before_any_request_unless_max_jobs_allows_it() {
    let org = organisation(|b| b).await;

    let refused = run_beside_runtime(against(&org, &["--days", "100", "--max-jobs", "3"])).await;
    let default_budget = run_beside_runtime(against(&org, &["--days", "100000"])).await;

    for r in [&refused, &default_budget] {
        assert_exit(r, 2);
        assert_eq!(problem_lines(r).len(), 1, "{}", r.stderr);
    }
    assert!(
        refused
            .stderr
            .contains("the window needs 4 jobs (about 21 requests), more than the budget of 3")
            && refused.stderr.contains("--max-jobs 4"),
        "{}",
        refused.stderr
    );
    assert!(
        default_budget.stderr.contains("needs 3334 jobs"),
        "{}",
        default_budget.stderr
    );
    assert!(
        default_budget.stderr.contains("budget of 50"),
        "{}",
        default_budget.stderr
    );
    assert_eq!(org.stats().requests, 0, "refused before any request");

    let allowed = run_beside_runtime(against(&org, &["--days", "100", "--max-jobs", "4"])).await;
    assert_exit(&allowed, 0);
    assert!(
        allowed.stderr.contains(
            "routing-eval: 4 jobs planned (about 21 requests), within the budget of 4 (--max-jobs)"
        ),
        "the estimate is said before the run: {}",
        allowed.stderr
    );
    assert_eq!(org.stats().submissions, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_ending_in_the_future_exits_2_before_any_request() {
    let org = organisation(|b| b).await;
    let to = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%dT00:00:00Z")
        .to_string();

    let run = run_beside_runtime(against(
        &org,
        &["--from", "2026-01-01T00:00:00Z", "--to", &to],
    ))
    .await;

    assert_exit(&run, 2);
    let [line] = problem_lines(&run).try_into().unwrap();
    assert!(
        line.contains("--to") && line.contains("is in the future"),
        "{line}"
    );
    assert_eq!(org.stats().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn granularities_and_dimensions_genesys_refuses_exit_2_before_any_request_one_line_each() {
    let org = organisation(|b| b).await;

    let run = run_beside_runtime(against(
        &org,
        &[
            "--days",
            "1",
            "--granularity",
            "PT10M",
            "--group-by",
            "usedrouting",
        ],
    ))
    .await;
    let zero = run_beside_runtime(against(&org, &["--days", "1", "--granularity", "PT0M"])).await;

    assert_exit(&run, 2);
    assert_exit(&zero, 2);
    let lines = problem_lines(&run);
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with(
            "routing-eval: --granularity is invalid: `PT10M` is not a multiple of PT15M"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("routing-eval: --group-by `usedrouting`"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("`usedRouting`"),
        "suggests the spelling: {}",
        lines[1]
    );
    assert!(zero.stderr.contains("`PT0M` is zero"), "{}", zero.stderr);
    assert_eq!(org.stats().requests, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_prints_status_lines_and_the_deadline_ends_the_run_with_exit_1()
{
    let org =
        organisation(|b| b.fault(Endpoint::Any, Fault::Slow(Duration::from_secs(600)), 100)).await;

    let run = run_beside_runtime(against(
        &org,
        &[
            "--days",
            "1",
            "--request-timeout",
            "1s",
            "--deadline",
            "4s",
            "--status-interval",
            "1s",
        ],
    ))
    .await;

    assert_exit(&run, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let status: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("routing-eval: status after"))
        .collect();
    assert!(
        status.len() >= 2,
        "a line at least every interval: {}",
        run.stderr
    );
    assert!(
        status.last().unwrap().contains("POST /oauth/token"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("retrying after"),
        "retries logged at WARN: {}",
        run.stderr
    );
    let last = run.stderr.lines().last().unwrap();
    assert!(
        last.starts_with(
            "routing-eval: timeout: the evaluation did not finish within its deadline of 4s"
        ),
        "{last}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_status_interval_a_silent_run_prints_a_status_line_after_10_seconds() {
    let org =
        organisation(|b| b.fault(Endpoint::Any, Fault::Slow(Duration::from_secs(600)), 100)).await;

    // No --status-interval: the default an operator's cron job gets.
    let run = run_beside_runtime(against(&org, &["--days", "1", "--deadline", "11s"])).await;

    assert_exit(&run, 1);
    let status: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("routing-eval: status after"))
        .collect();
    assert_eq!(status.len(), 1, "{}", run.stderr);
    assert!(
        status[0].starts_with("routing-eval: status after 10s: no job submitted yet"),
        "{}",
        status[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_run_reports_the_servers_wait_in_status_lines_and_warnings() {
    let org = organisation(|b| {
        b.fault(
            Endpoint::SubmitJob,
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            3,
        )
    })
    .await;

    let run = run_beside_runtime(against(&org, &["--days", "1", "--status-interval", "1s"])).await;

    assert_exit(&run, 0);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains("routing-eval: status after")
                && l.contains("waiting 1.0s (http 429, retry-after from the server)")),
        "{}",
        run.stderr
    );
    let warnings = run
        .stderr
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("retrying after 1.0s"))
        .count();
    assert_eq!(warnings, 3, "{}", run.stderr);
}

#[test]
fn a_webhook_without_a_dead_letter_dir_keeps_payloads_in_the_state_dir_and_says_where() {
    let state = tempfile::tempdir().unwrap();
    let expected = state.path().join("routing-eval/dead-letters");

    let run = run(evaluate(&["--emulator", "--days", "1"])
        .env("XDG_STATE_HOME", state.path())
        .env("BI_WEBHOOK_URL", closed_port_url()));

    assert_exit(&run, 3);
    assert!(
        run.stderr.contains(&format!(
            "undeliverable webhook payloads are kept in {}",
            expected.display()
        )),
        "{}",
        run.stderr
    );
    let [file] = files_in(&expected).try_into().unwrap();
    assert_contains(&run.stderr, file.to_str().unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_dead_letter_dir_or_audit_log_exit_2_before_any_request() {
    let org = organisation(|b| b).await;
    let scratch = tempfile::tempdir().unwrap();
    let blocker = scratch.path().join("not-a-dir");
    std::fs::write(&blocker, b"").unwrap();
    let dead = blocker.join("dead-letters");
    let audit = blocker.join("audit.jsonl");
    let mut cmd = against(
        &org,
        &[
            "--days",
            "1",
            "--dead-letter-dir",
            dead.to_str().unwrap(),
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    cmd.env("BI_WEBHOOK_URL", closed_port_url());

    let run = run_beside_runtime(cmd).await;

    assert_exit(&run, 2);
    let lines = problem_lines(&run);
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("routing-eval: --dead-letter-dir is invalid"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("routing-eval: --audit-log is invalid"),
        "{}",
        lines[1]
    );
    assert_eq!(org.stats().requests, 0);

    let nested = scratch.path().join("a/b/audit.jsonl");
    let created = run_beside_runtime(against(
        &org,
        &["--days", "1", "--audit-log", nested.to_str().unwrap()],
    ))
    .await;
    assert_exit(&created, 0);
    assert_eq!(
        std::fs::read_to_string(&nested).unwrap().lines().count(),
        1,
        "parents created"
    );
}

#[test]
fn a_webhook_secret_without_a_url_and_a_dead_letter_dir_without_a_webhook_are_refused() {
    let dir = tempfile::tempdir().unwrap();

    let run = run(evaluate(&[
        "--emulator",
        "--days",
        "1",
        "--dead-letter-dir",
        dir.path().to_str().unwrap(),
    ])
    .env(
        "BI_WEBHOOK_SECRET",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    ));

    assert_exit(&run, 2);
    let lines = problem_lines(&run);
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].contains("BI_WEBHOOK_SECRET is set but BI_WEBHOOK_URL is not"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("--dead-letter-dir") && lines[1].contains("no webhook is configured"),
        "{}",
        lines[1]
    );
}

#[test]
fn strategies_source_problems_name_the_flags_to_change() {
    let run = run(&mut evaluate(&[
        "--emulator",
        "--source",
        "strategies",
        "--days",
        "40",
    ]));

    assert_exit(&run, 2);
    assert_eq!(
        problem_lines(&run),
        [
            "routing-eval: --source strategies needs at least one --strategy ID",
            "routing-eval: a window of 40 days exceeds the strategies source's 30-day limit; shorten --days or use --source aggregates",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_failure_refused_connection_and_tls_failure_exit_1_each_with_its_own_cause() {
    // A plain-HTTP server asked for https: the TLS handshake cannot succeed.
    let plain = organisation(|b| b).await;
    let plain_as_https = plain.base_url().as_str().replace("http://", "https://");
    let refused_url = closed_port_url().replace("/hooks/routing", "");
    let cases = [
        (
            "https://no-such-host.invalid".to_owned(),
            "cannot resolve host name no-such-host.invalid (DNS failure)",
        ),
        (refused_url, "connection to 127.0.0.1 refused"),
        (plain_as_https, "tls handshake with 127.0.0.1 failed"),
    ];

    for (host, cause) in cases {
        let mut cmd = evaluate(&["--days", "1"]);
        cmd.env("GENESYS_API_HOST", &host)
            .env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET);
        let run = run_beside_runtime(cmd).await;

        assert_exit(&run, 1);
        let last = run.stderr.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("routing-eval: transport error: ") && last.contains(cause),
            "{host}: {last}"
        );
    }
    assert_eq!(plain.stats().requests, 0, "no HTTP request reached it");
}
