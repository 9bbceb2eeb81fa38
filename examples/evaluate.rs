//! The main job: evaluate routing strategies end to end and print the ranked table and the
//! audit record's summary.
//!
//! ```sh
//! cargo run --example evaluate
//! ```
//! With `GENESYS_CLIENT_ID` and `GENESYS_CLIENT_SECRET` (and `GENESYS_REGION` or
//! `GENESYS_API_HOST`) set it queries that organisation; otherwise it starts the embedded
//! emulator. With `BI_WEBHOOK_URL` (and optionally `BI_WEBHOOK_SECRET`) set, the report is also
//! posted there.

use genesys_routing_eval::Result;
use genesys_routing_eval::evaluation::{Evaluation, Outcome};
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::sink::{MemorySink, WebhookSink};

#[tokio::main]
async fn main() -> Result<()> {
    // Kept alive until the end: dropping it stops the embedded emulator.
    let (client, _emulator) = routing_eval_emulator::client_from_env_or_start_announced().await?;
    let kept = MemorySink::new().with_name("memory");
    let mut builder = Evaluation::builder()
        .client(client)
        .last_days(14)
        .time_zone("UTC")
        .report_sink(kept.clone());
    if let Ok(url) = std::env::var("BI_WEBHOOK_URL") {
        let mut webhook = WebhookSink::builder(url);
        if let Ok(secret) = std::env::var("BI_WEBHOOK_SECRET") {
            webhook = webhook.secret(secret);
        }
        builder = builder.webhook(webhook.build()?);
    }
    let outcome = builder.build()?.run().await?;
    print_ranked(&outcome);
    print_audit(&outcome);
    assert_eq!(kept.len(), 1, "the memory sink kept the report");
    Ok(())
}

fn print_ranked(outcome: &Outcome) {
    let report = &outcome.report;
    println!(
        "{} strategies by {}, {} to {}",
        report.results.len(),
        report.group_by,
        report.window.from.format("%Y-%m-%d"),
        report.window.to.format("%Y-%m-%d")
    );
    println!(
        "{:>4}  {:<12} {:>6} {:>8} {:>7} {:>8}",
        "rank", "strategy", "score", "handled", "asa_s", "abandon"
    );
    let show = |v: Option<f64>, digits: usize| v.map_or("-".into(), |v| format!("{v:.digits$}"));
    for (i, line) in report.ranked().into_iter().enumerate() {
        println!(
            "{:>4}  {:<12} {:>6} {:>8} {:>7} {:>8}",
            i + 1,
            line.strategy_id,
            show(line.score, 3),
            show(line.kpis.get(Kpi::HandledCalls), 0),
            show(line.kpis.get(Kpi::AvgSpeedOfAnswer), 1),
            show(line.kpis.get(Kpi::AbandonedCalls), 0),
        );
    }
}

fn print_audit(outcome: &Outcome) {
    let audit = &outcome.audit;
    println!(
        "audit {}: evaluation {}, {} row(s), completeness {:.2}, webhook {:?}, jobs {:?}, {} HTTP call(s) in {:.2} s",
        audit.audit_id,
        audit.evaluation_id,
        audit.row_count,
        audit.data_completeness,
        audit.webhook_sync_status,
        audit.job_ids,
        audit.requests.calls,
        audit.latency_seconds
    );
    if outcome.sinks_failed() {
        for failed in audit.sink_outcomes.iter().filter(|o| !o.is_delivered()) {
            println!(
                "sink {} failed: {}",
                failed.sink,
                failed.error.as_deref().unwrap_or("?")
            );
        }
    }
}
