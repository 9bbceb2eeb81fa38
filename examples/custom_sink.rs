//! Two sinks a downstream crate could write with nothing but the public API: one renders the
//! report as a Markdown summary on stdout, the other forwards audit records into a channel.
//!
//! ```sh
//! cargo run --example custom_sink
//! ```
//! Runs against the embedded emulator unless `GENESYS_CLIENT_ID` / `GENESYS_CLIENT_SECRET`
//! (and `GENESYS_REGION` or `GENESYS_API_HOST`) are set.

use std::io::Write;

use async_trait::async_trait;
use genesys_routing_eval::evaluation::{AuditRecord, Evaluation, Report};
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::sink::{Delivered, Sink};
use genesys_routing_eval::{Error, ErrorKind, Result};
use tokio::sync::mpsc;

/// Writes a Markdown table of the ranked strategies to stdout.
struct MarkdownSummary;

#[async_trait]
impl Sink<Report> for MarkdownSummary {
    fn name(&self) -> &str {
        "markdown"
    }

    async fn deliver(&self, report: &Report) -> Result<Delivered> {
        let mut text = format!(
            "### Routing strategies ({} to {})\n\n| rank | strategy | score | avg speed of answer (s) |\n|---:|---|---:|---:|\n",
            report.window.from.format("%Y-%m-%d"),
            report.window.to.format("%Y-%m-%d"),
        );
        for (i, line) in report.ranked().into_iter().enumerate() {
            let asa = line.kpis.get(Kpi::AvgSpeedOfAnswer);
            text.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                i + 1,
                line.strategy_id,
                line.score.map_or("-".into(), |s| format!("{s:.3}")),
                asa.map_or("-".into(), |s| format!("{s:.1}")),
            ));
        }
        std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| {
                Error::new(ErrorKind::Io, format!("could not write to stdout: {e}")).with_source(e)
            })?;
        Ok(Delivered::new())
    }
}

/// Forwards each audit record to a channel, for a task that ships them elsewhere.
struct ChannelSink {
    sender: mpsc::Sender<AuditRecord>,
}

#[async_trait]
impl Sink<AuditRecord> for ChannelSink {
    fn name(&self) -> &str {
        "audit-channel"
    }

    async fn deliver(&self, record: &AuditRecord) -> Result<Delivered> {
        self.sender.send(record.clone()).await.map_err(|_| {
            Error::new(
                ErrorKind::Sink,
                "the audit channel is closed; keep its receiver alive while evaluations run",
            )
        })?;
        Ok(Delivered::new())
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    // Kept alive until the end: dropping it stops the embedded emulator.
    let (client, emulator) = routing_eval_emulator::client_from_env_or_start_announced().await?;
    let (sender, mut records) = mpsc::channel(8);
    let outcome = Evaluation::builder()
        .client(client)
        .last_days(7)
        .report_sink(MarkdownSummary)
        .audit_sink(ChannelSink { sender })
        // Custom sinks count as leaving the process, so emulator data needs this; the demo
        // shows synthetic figures on purpose (and every record says `dataOrigin: emulator`).
        .allow_emulator_data(emulator.is_some())
        .build()?
        .run()
        .await?;

    let record = records
        .recv()
        .await
        .expect("the channel sink forwarded one record");
    assert_eq!(record.evaluation_id, outcome.report.evaluation_id);
    println!(
        "\naudit record {} received through the channel; sinks: {}",
        record.audit_id,
        record
            .sink_outcomes
            .iter()
            .map(|o| format!("{} {:?}", o.sink, o.status))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
