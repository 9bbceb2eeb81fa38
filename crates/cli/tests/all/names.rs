//! Names in every human output of the binary, against an emulator reached over HTTP as a
//! Genesys organisation: the evaluate and compare tables (long names cut with an ellipsis),
//! the comparison's JSON (`baselineName`, `contenderName`), the HTML page, and a denied
//! listing degrading to ids with one note; units in the table headers and the window in the
//! chosen time zone.

use routing_eval_emulator::Scenario;
use routing_eval_emulator::directory::QUEUES_PERMISSION;
use serde_json::Value;

use crate::support::{
    against, assert_contains, assert_exit, emulator, evaluate, run_beside_runtime, subcommand,
};

/// 61 characters: wider than the tables' 32-character name column.
const LONG_NAME: &str = "Technical Support Level Two Overflow for Premium Business Lines";

/// The default centre with its first queue renamed to [`LONG_NAME`].
fn centre_with_a_long_queue_name() -> Scenario {
    let mut scenario = serde_json::to_value(Scenario::default_centre()).unwrap();
    scenario["queues"][0]["name"] = LONG_NAME.into();
    Scenario::from_json(&scenario.to_string()).expect("the renamed centre is valid")
}

/// [`LONG_NAME`] as a table shows it: 31 characters and an ellipsis.
fn cut() -> String {
    let mut cut: String = LONG_NAME.chars().take(31).collect();
    cut.push('…');
    cut
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_queue_name_is_cut_with_an_ellipsis_in_the_table_and_kept_whole_in_csv() {
    let emu = emulator(|b| b.scenario(centre_with_a_long_queue_name())).await;
    let long_id = emu.scenario().queues[0].id.clone();
    let mut table = evaluate(&["--days", "2", "--group-by", "queueId"]);
    against(&mut table, &emu);
    let run = run_beside_runtime(table).await;
    assert_exit(&run, 0);
    let row = run
        .stdout
        .lines()
        .find(|l| l.contains(&cut()))
        .unwrap_or_else(|| panic!("a row with {:?}: {}", cut(), run.stdout));
    assert!(!run.stdout.contains(LONG_NAME), "{}", run.stdout);
    assert!(!run.stdout.contains(&long_id), "the name replaces the id");
    assert_eq!(cut().chars().count(), 32);
    // The name column is as wide as its widest cell, 32: the next column starts after it.
    let header = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("rank"))
        .unwrap();
    let name_at = row.find(&cut()).unwrap();
    assert_eq!(
        header[..].find("strategy"),
        Some(name_at),
        "{header}\n{row}"
    );

    let mut csv = evaluate(&["--days", "2", "--group-by", "queueId", "--format", "csv"]);
    against(&mut csv, &emu);
    let run = run_beside_runtime(csv).await;
    assert_exit(&run, 0);
    assert_contains(&run.stdout, &format!("{long_id},{LONG_NAME},"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comparison_of_queues_names_them_in_its_table_and_beside_the_ids_in_its_json() {
    let emu = emulator(|b| b.scenario(centre_with_a_long_queue_name())).await;
    let names: std::collections::BTreeMap<String, String> = emu
        .scenario()
        .queues
        .iter()
        .map(|q| (q.id.clone(), q.name.clone()))
        .collect();
    let args = [
        "--days",
        "7",
        "--group-by",
        "queueId",
        "--within",
        "mediaType",
    ];
    let mut table = subcommand("compare", &args);
    against(&mut table, &emu);
    let run = run_beside_runtime(table).await;
    assert_exit(&run, 0);
    assert_contains(&run.stdout, &cut());
    assert!(!run.stdout.contains(LONG_NAME), "{}", run.stdout);
    assert!(
        names.keys().all(|id| !run.stdout.contains(id.as_str())),
        "no queue id in the table: {}",
        run.stdout
    );

    let mut json = subcommand("compare", &[&args[..], &["--format", "json"]].concat());
    against(&mut json, &emu);
    let run = run_beside_runtime(json).await;
    assert_exit(&run, 0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let baseline = doc["baseline"].as_str().unwrap();
    assert_eq!(doc["baselineName"], names[baseline].as_str());
    let results = doc["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let contender = r["contender"].as_str().unwrap();
        assert_eq!(r["contenderName"], names[contender].as_str(), "{r}");
    }
    assert!(
        results
            .iter()
            .any(|r| r["contenderName"] == LONG_NAME || doc["baselineName"] == LONG_NAME),
        "names are whole in JSON"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_methods_compared_carry_no_name_fields() {
    let emu = emulator(|b| b).await;
    let mut json = subcommand("compare", &["--days", "7", "--format", "json"]);
    against(&mut json, &emu);
    let run = run_beside_runtime(json).await;
    assert_exit(&run, 0);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(doc.get("baselineName").is_none(), "{doc}");
    assert!(
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r.get("contenderName").is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_queue_permission_the_table_keeps_ids_and_notes_the_permission_once() {
    let emu = emulator(|b| b.deny_permission(QUEUES_PERMISSION)).await;
    let mut cmd = evaluate(&["--days", "2", "--group-by", "queueId"]);
    against(&mut cmd, &emu);
    let run = run_beside_runtime(cmd).await;
    assert_exit(&run, 0);
    for queue in &emu.scenario().queues {
        assert!(!run.stdout.contains(&queue.name), "{}", run.stdout);
    }
    let notes: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("note: "))
        .collect();
    assert_eq!(notes.len(), 1, "{}", run.stdout);
    assert!(
        notes[0].contains("the client lacks the permission routing:queue:view"),
        "{}",
        notes[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_put_units_in_their_headers_and_the_window_in_the_chosen_time_zone() {
    let emu = emulator(|b| b).await;
    let mut cmd = evaluate(&["--days", "3", "--time-zone", "America/New_York"]);
    against(&mut cmd, &emu);
    let run = run_beside_runtime(cmd).await;
    assert_exit(&run, 0);
    let context = run
        .stdout
        .lines()
        .find(|l| l.starts_with("Routing strategies by"))
        .unwrap();
    assert!(
        context.ends_with(" EST") && context.contains("00:00 EST to "),
        "local midnights in New York: {context}"
    );
    let header = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("rank"))
        .unwrap();
    for column in ["service level %", "abandon %", "ASA s", "AHT s"] {
        assert!(header.contains(column), "{column} in {header}");
    }
    for header in run.stdout.lines().filter(|l| l.starts_with("contender  ")) {
        assert!(
            (header.contains("baseline %") && header.contains("difference pp"))
                || (header.contains("baseline s") && header.contains("difference s")),
            "{header}"
        );
    }
    assert!(
        run.stdout.contains("difference pp") && run.stdout.contains("difference s"),
        "a rate and a mean table: {}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_page_shows_queue_names_with_the_ids_in_its_attributes() {
    let emu = emulator(|b| b.scenario(centre_with_a_long_queue_name())).await;
    let page = crate::support::html_report(
        &["--days", "7", "--group-by", "queueId", "--format", "json"],
        Some(&emu),
    )
    .await;
    let long_id = &emu.scenario().queues[0].id;
    assert!(
        page.html.contains(&format!("data-strategy=\"{long_id}\"")),
        "the id stays the key"
    );
    assert!(page.html.contains(LONG_NAME), "the page shows names whole");
    for queue in &emu.scenario().queues {
        let shown = page.html.matches(&format!(">{}<", queue.name)).count();
        // The ranking row and the three trend legends.
        assert!(shown >= 4, "{} shown {shown} times", queue.name);
    }
    assert!(
        !page.html.contains("0–50% axis"),
        "the whisker axes fit the data"
    );
}
