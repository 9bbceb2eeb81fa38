//! Bullseye vs Standard vs Predictive over the last 60 days. The aggregates source takes at
//! most 30 days per job, so the window is split into two chunks queried concurrently and merged
//! exactly; the progress observer shows both jobs.
//!
//! ```sh
//! cargo run --example compare_routing_methods
//! ```
//! Runs against the embedded emulator unless `GENESYS_CLIENT_ID` / `GENESYS_CLIENT_SECRET`
//! (and `GENESYS_REGION` or `GENESYS_API_HOST`) are set.

use genesys_routing_eval::Result;
use genesys_routing_eval::evaluation::Evaluation;
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::progress::ProgressEvent;
use genesys_routing_eval::scoring::ScoringConfig;

const METHODS: [&str; 3] = ["Bullseye", "Standard", "Predictive"];
const DAYS: u32 = 60;
const DAYS_PER_JOB: u32 = 30;

#[tokio::main]
async fn main() -> Result<()> {
    // Kept alive until the end: dropping it stops the embedded emulator.
    let (client, _emulator) = routing_eval_emulator::client_from_env_or_start_announced().await?;
    let outcome = Evaluation::builder()
        .client(client)
        .strategies(METHODS)
        .last_days(DAYS)
        .max_window_days(DAYS_PER_JOB)
        .scoring(ScoringConfig::rates())
        .on_progress(|event| match event {
            ProgressEvent::JobSubmitted { job_id } => println!("job {job_id} submitted"),
            ProgressEvent::JobState { job_id, state, .. } if state == "FULFILLED" => {
                println!("job {job_id} fulfilled")
            }
            _ => {}
        })
        .build()?
        .run()
        .await?;

    let report = &outcome.report;
    let chunks = report.window.chunks(DAYS_PER_JOB, chrono_tz::UTC);
    println!(
        "{DAYS} days split into {} chunks, one job each:",
        chunks.len()
    );
    for (chunk, job_id) in chunks.iter().zip(&report.job_ids) {
        println!(
            "  {} to {}  job {job_id}",
            chunk.from.format("%Y-%m-%d"),
            chunk.to.format("%Y-%m-%d")
        );
    }
    println!(
        "{:>4}  {:<10} {:>6} {:>9} {:>7} {:>8} {:>7}",
        "rank", "method", "score", "offered", "svc_lvl", "abandon", "asa_s"
    );
    let pct = |v: Option<f64>| v.map_or("-".into(), |v| format!("{:.1}%", v * 100.0));
    let num = |v: Option<f64>, d: usize| v.map_or("-".into(), |v| format!("{v:.d$}"));
    for (i, line) in report.ranked().into_iter().enumerate() {
        let k = &line.kpis;
        println!(
            "{:>4}  {:<10} {:>6} {:>9} {:>7} {:>8} {:>7}",
            i + 1,
            line.strategy_id,
            num(line.score, 3),
            num(k.get(Kpi::Offered), 0),
            pct(k.get(Kpi::ServiceLevel)),
            pct(k.get(Kpi::AbandonRate)),
            num(k.get(Kpi::AvgSpeedOfAnswer), 1),
        );
    }
    if !report.missing_strategies.is_empty() {
        println!("no data for: {}", report.missing_strategies.join(", "));
    }
    Ok(())
}
