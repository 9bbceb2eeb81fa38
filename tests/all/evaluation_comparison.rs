//! The comparison inside an evaluation, against the emulator: one fetch grouped by the
//! treatment and the within dimensions serves the ranking and the comparison; settings are
//! checked before any request; the fallback table is one more query.

use chrono::{DateTime, TimeZone, Utc};
use genesys_routing_eval::comparison::{CellMatch, ComparisonConfig};
use genesys_routing_eval::evaluation::{Evaluation, EvaluationBuilder};
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::time::FixedJitter;
use genesys_routing_eval::{Client, ErrorKind};
use routing_eval_emulator::Emulator;
use serde_json::Value;

use crate::support::{client_builder, clock, emulator, run_evaluation};

fn day(d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::days(i64::from(d))
}

fn client(emu: &Emulator) -> Client {
    client_builder(emu, clock().time_source(FixedJitter(1.0)))
        .build()
        .expect("client builds")
}

fn fortnight(emu: &Emulator) -> EvaluationBuilder {
    Evaluation::builder()
        .client(client(emu))
        .between(day(0), day(14))
}

#[tokio::test]
async fn the_default_evaluation_compares_within_queues_from_the_same_fetch_as_the_ranking() {
    let emu = emulator(|b| b).await;
    let compared = fortnight(&emu).build().unwrap().run().await.unwrap();
    let plain_emu = emulator(|b| b).await;
    let plain = run_evaluation(fortnight(&plain_emu).without_comparison()).await;

    let comparison = compared.report.comparison.as_ref().expect("a comparison");
    assert_eq!(comparison.treatment, "usedRouting");
    assert_eq!(comparison.within, ["queueId"]);
    assert_eq!(comparison.cell_match, CellMatch::Bucket);
    assert!(!comparison.results.is_empty());
    assert_eq!(compared.report.comparison_note, None);
    // The baseline is the most offered strategy.
    let most_offered = compared
        .report
        .results
        .iter()
        .max_by_key(|r| r.kpis.get(Kpi::Offered).unwrap_or(0.0) as u64)
        .unwrap();
    assert_eq!(comparison.baseline, most_offered.strategy_id);
    // One job either way: the ranking is the cells summed, not another request.
    assert_eq!(emu.stats().submissions, 1);
    assert_eq!(compared.report.job_ids.len(), 1);
    for line in &plain.report.results {
        let same = compared.report.strategy(&line.strategy_id).unwrap();
        for (kpi, value) in line.kpis.iter() {
            match (value, same.kpis.get(kpi)) {
                (Some(a), Some(b)) => assert!(
                    (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                    "{} {kpi}: {a} vs {b}",
                    line.strategy_id
                ),
                // The comparison also requests nTransferred, which the rates preset does not.
                (None, Some(_)) => assert_eq!(kpi, Kpi::TransferRate),
                (a, b) => assert_eq!(a, b, "{} {kpi}", line.strategy_id),
            }
        }
        assert_eq!(line.score, same.score, "{}", line.strategy_id);
    }
    // Every bucket of the comparison's fetch names its queue.
    let table = &compared.report.table;
    assert_eq!(table.within(), ["queueId"]);
    assert!(
        table
            .strategies()
            .flat_map(|s| s.buckets())
            .all(|b| b.within().len() == 1 && !b.within()[0].is_empty())
    );
    // The webhook body carries the contract object; the audit names the settings.
    let body = serde_json::to_value(&compared.report).unwrap();
    assert_eq!(body["comparison"]["match"], "bucket");
    assert_eq!(
        body["comparison"]["baseline"],
        Value::from(comparison.baseline.clone())
    );
    assert!(body["comparison"]["results"][0]["verdict"].is_string());
    let audit = compared
        .audit
        .comparison
        .as_ref()
        .expect("settings in the audit");
    assert_eq!(
        audit.baseline.as_deref(),
        Some(comparison.baseline.as_str())
    );
    assert_eq!(audit.within, ["queueId"]);
}

#[tokio::test]
async fn grouped_by_a_queue_no_comparison_runs_and_the_report_says_why() {
    let emu = emulator(|b| b).await;
    let outcome = run_evaluation(fortnight(&emu).group_by("queueId")).await;
    assert!(outcome.report.comparison.is_none());
    let note = outcome.report.comparison_note.as_deref().unwrap();
    assert!(
        note.contains("queueId") && note.contains("usedRouting"),
        "{note}"
    );
    let body = serde_json::to_value(&outcome.report).unwrap();
    assert_eq!(body["comparison_note"], note);
    assert!(body.get("comparison").is_none());
}

#[tokio::test]
async fn a_setting_that_cannot_run_is_refused_before_any_request() {
    let emu = emulator(|b| b).await;
    let hourly = ComparisonConfig::builder()
        .cell_match(CellMatch::HourOfDay)
        .build()
        .unwrap();
    let on_days = fortnight(&emu).comparison(hourly.clone()).build();
    let text = on_days.unwrap_err().to_string();
    assert!(
        text.contains("hour-of-day") && text.contains("PT1H"),
        "{text}"
    );
    assert!(
        fortnight(&emu)
            .comparison(hourly)
            .granularity("PT1H")
            .build()
            .is_ok()
    );

    let within_itself = ComparisonConfig::builder()
        .within(["requestedRouting"])
        .build()
        .unwrap();
    let err = fortnight(&emu)
        .group_by("requestedRouting")
        .comparison(within_itself)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("treatment itself"), "{err}");
    assert_eq!(emu.stats().requests, 0, "nothing was sent");
}

#[tokio::test]
async fn a_baseline_without_data_fails_after_the_fetch_naming_the_strategies_present() {
    let emu = emulator(|b| b).await;
    let config = ComparisonConfig::builder()
        .baseline("Retired")
        .build()
        .unwrap();
    let err = fortnight(&emu)
        .comparison(config)
        .build()
        .unwrap()
        .run()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Scoring);
    let text = err.to_string();
    assert!(
        text.contains("Retired") && text.contains("Standard"),
        "{text}"
    );
}

#[tokio::test]
async fn the_fallback_table_is_one_more_query_and_shares_add_up() {
    let emu = emulator(|b| b).await;
    let outcome = run_evaluation(fortnight(&emu).fallbacks(true)).await;
    assert_eq!(emu.stats().submissions, 2);
    assert_eq!(outcome.report.job_ids.len(), 2);
    let fallbacks = outcome.report.fallbacks.as_ref().expect("a fallback table");
    assert!(!fallbacks.is_empty());
    let mut requested: Vec<&str> = fallbacks
        .rows
        .iter()
        .map(|r| r.requested.as_str())
        .collect();
    requested.dedup();
    for method in requested {
        let total: f64 = fallbacks
            .rows
            .iter()
            .filter(|r| r.requested == method)
            .map(|r| r.share)
            .sum();
        assert!((total - 1.0).abs() < 1e-12, "{method}: {total}");
    }
    let body = serde_json::to_value(&outcome.report).unwrap();
    assert!(body["fallbacks"]["rows"].is_array());
}

#[tokio::test]
async fn a_kpi_whose_metric_was_never_requested_is_absent_not_zero() {
    let emu = emulator(|b| b).await;
    let outcome = run_evaluation(fortnight(&emu).without_comparison().metrics([
        "nOffered",
        "tAnswered",
        "tAbandon",
        "tHandle",
        "oServiceLevel",
    ]))
    .await;
    for line in &outcome.report.results {
        assert_eq!(
            line.kpis.get(Kpi::TransferRate),
            None,
            "{}",
            line.strategy_id
        );
    }
    let with_transfers = fortnight(&emu).build().unwrap().run().await.unwrap();
    assert!(
        with_transfers
            .report
            .results
            .iter()
            .all(|r| r.kpis.get(Kpi::TransferRate).is_some()),
        "the comparison requests nTransferred, so every strategy has a rate (0 where none)"
    );
}
