//! `routing-eval evaluate`: query, score, deliver, audit; the ranked table on stdout.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use chrono::{DateTime, Utc};
use genesys_routing_eval::evaluation::{
    Evaluation, EvaluationBuilder, Outcome, Report, SourceKind,
};
use genesys_routing_eval::progress::ProgressEvent;
use genesys_routing_eval::scoring::ScoringConfig;
use genesys_routing_eval::sink::{JsonLinesSink, WebhookSink};
use genesys_routing_eval::{Client, Error, ErrorKind};

use crate::{exit, output};

/// Arguments of `routing-eval evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the metrics come from.
    #[arg(long, value_enum, default_value_t = Source::Aggregates)]
    source: Source,
    /// The dimension whose values are the strategies (default: usedRouting; strategyId for
    /// the strategies source).
    #[arg(long, value_name = "DIM")]
    group_by: Option<String>,
    /// A strategy to compare (repeatable; default: every value observed).
    #[arg(long = "strategy", value_name = "ID")]
    strategies: Vec<String>,
    /// The N most recent complete days, ending at today's midnight in the time zone.
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to"])]
    days: Option<u32>,
    /// Window start, RFC 3339 (with --to).
    #[arg(long, requires = "to")]
    from: Option<DateTime<Utc>>,
    /// Window end, RFC 3339, exclusive (with --from).
    #[arg(long, requires = "from")]
    to: Option<DateTime<Utc>>,
    /// Bucket size, ISO-8601.
    #[arg(long, default_value = "P1D")]
    granularity: String,
    /// IANA time zone for days and buckets.
    #[arg(long, default_value = "UTC")]
    time_zone: String,
    /// Scoring preset: `rates` (quality per caller, no reward for sheer volume; the default on
    /// the aggregates source) or `tutorial` (the tutorial's weights, direction corrected; the
    /// default on the strategies source, which supplies only its KPIs).
    #[arg(long, value_enum, value_name = "PRESET")]
    preset: Option<Preset>,
    /// Append the audit record to this JSON lines file.
    #[arg(long, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    /// Keep undeliverable webhook payloads here.
    #[arg(long, value_name = "DIR")]
    dead_letter_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Source {
    Aggregates,
    Strategies,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Preset {
    Rates,
    Tutorial,
}

/// How `evaluate` prints its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Default window when neither `--days` nor `--from/--to` is given.
const DEFAULT_DAYS: u32 = 7;

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    // Kept alive for the whole run: dropping it stops the embedded emulator.
    let (client, emulator) = match routing_eval_emulator::client_from_env_or_start().await {
        Ok(pair) => pair,
        Err(e) => return fail(&e),
    };
    let jobs = JobTracker::default();
    let evaluation = match builder(&args, client, &jobs).and_then(EvaluationBuilder::build) {
        Ok(evaluation) => evaluation,
        Err(e) => return fail(&e),
    };
    if let Some(emu) = &emulator {
        eprintln!(
            "routing-eval: no GENESYS_* settings; running against the embedded emulator at {}",
            emu.base_url()
        );
    }
    let outcome = tokio::select! {
        outcome = evaluation.run() => outcome,
        _ = tokio::signal::ctrl_c() => {
            // Leaving the select dropped the run, whose jobs' guards are sending DELETEs now:
            // give them a moment so that no job is left running on the server.
            finish_progress_line();
            let left = jobs.wait_until_idle(CANCEL_GRACE).await;
            eprintln!("routing-eval: interrupted; {left} job(s) could not be confirmed cancelled");
            return exit::FAILED;
        }
    };
    finish_progress_line();
    match outcome {
        Ok(outcome) => print_outcome(&outcome, args.format),
        Err(e) => fail(&e),
    }
}

/// How long an interrupted run waits for its jobs' cancellations.
const CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Jobs submitted and not yet ended or cancelled, as progress events report them.
#[derive(Clone, Default)]
struct JobTracker {
    running: Arc<Mutex<HashSet<String>>>,
    changed: Arc<Notify>,
}

impl JobTracker {
    fn observe(&self, event: &ProgressEvent) {
        let mut running = self.running.lock().expect("job tracker lock");
        match event {
            ProgressEvent::JobSubmitted { job_id } => {
                running.insert(job_id.clone());
            }
            ProgressEvent::JobState { job_id, state } if !is_pending(state) => {
                running.remove(job_id);
            }
            ProgressEvent::JobCancelled { job_id } => {
                running.remove(job_id);
            }
            _ => return,
        }
        self.changed.notify_waiters();
    }

    /// Waits until no job is running or `grace` has passed; returns how many still run.
    async fn wait_until_idle(&self, grace: std::time::Duration) -> usize {
        let idle = async {
            loop {
                let changed = self.changed.notified();
                if self.running.lock().expect("job tracker lock").is_empty() {
                    return;
                }
                changed.await;
            }
        };
        let _ = tokio::time::timeout(grace, idle).await;
        self.running.lock().expect("job tracker lock").len()
    }
}

/// Whether a job in `state` may still be working on the server.
fn is_pending(state: &str) -> bool {
    matches!(state, "QUEUED" | "PENDING" | "running")
}

fn builder(args: &Args, client: Client, jobs: &JobTracker) -> Result<EvaluationBuilder, Error> {
    let mut builder = Evaluation::builder()
        .client(client)
        .source(match args.source {
            Source::Aggregates => SourceKind::Aggregates,
            Source::Strategies => SourceKind::Strategies,
        })
        .strategies(args.strategies.iter().cloned())
        .granularity(args.granularity.clone())
        .time_zone(args.time_zone.clone())
        .on_progress({
            let print = progress_printer();
            let jobs = jobs.clone();
            move |event| {
                jobs.observe(event);
                print(event);
            }
        });
    if let Some(preset) = args.preset {
        builder = builder.scoring(match preset {
            Preset::Rates => ScoringConfig::rates(),
            Preset::Tutorial => ScoringConfig::tutorial(),
        });
    }
    builder = match (args.from, args.to) {
        (Some(from), Some(to)) => builder.between(from, to),
        _ => builder.last_days(args.days.unwrap_or(DEFAULT_DAYS)),
    };
    if let Some(dimension) = &args.group_by {
        builder = builder.group_by(dimension.clone());
    }
    if let Ok(url) = std::env::var("BI_WEBHOOK_URL") {
        let mut webhook = WebhookSink::builder(url);
        if let Ok(secret) = std::env::var("BI_WEBHOOK_SECRET") {
            webhook = webhook.secret(secret);
        }
        if let Some(dir) = &args.dead_letter_dir {
            webhook = webhook.dead_letter_dir(dir.clone());
        }
        builder = builder.webhook(webhook.build()?);
    }
    if let Some(path) = &args.audit_log {
        builder = builder.audit_sink(JsonLinesSink::new(path.clone()).with_name("audit-log"));
    }
    Ok(builder)
}

/// Progress on stderr, one overwritten line, only when stderr is a terminal.
fn progress_printer() -> impl Fn(&ProgressEvent) + Send + Sync + 'static {
    let show = std::io::stderr().is_terminal();
    move |event| {
        if !show {
            return;
        }
        let line = match event {
            ProgressEvent::JobSubmitted { job_id } => format!("job {job_id} submitted"),
            ProgressEvent::JobState { job_id, state } => format!("job {job_id}: {state}"),
            ProgressEvent::PageFetched { job_id, page, rows } => {
                format!("job {job_id}: page {page} ({rows} groups)")
            }
            ProgressEvent::JobCancelled { job_id } => format!("job {job_id} cancelled"),
            ProgressEvent::SinkDelivered { sink, ok } => {
                format!("sink {sink}: {}", if *ok { "delivered" } else { "failed" })
            }
            _ => return,
        };
        // Job ids and states come from the server: escaped, so they cannot drive the terminal.
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", output::escape(&line));
        let _ = err.flush();
    }
}

fn finish_progress_line() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

/// Prints the outcome and returns the exit code: 1 when no strategy had data, 3 when a sink
/// failed, 0 otherwise. A reader that stops reading (`| head -1`) is no failure.
fn print_outcome(outcome: &Outcome, format: Format) -> u8 {
    if let Err(e) = output::print_outcome(outcome, format)
        && !output::is_broken_pipe(&e)
    {
        eprintln!("routing-eval: cannot write the report: {e}");
        return exit::FAILED;
    }
    let sinks_failed = outcome.sinks_failed();
    if sinks_failed {
        report_sink_failures(outcome);
    }
    if !outcome.report.has_data() {
        eprintln!("routing-eval: {}", no_data_message(&outcome.report));
        return exit::FAILED;
    }
    if sinks_failed {
        exit::SINK_FAILED
    } else {
        exit::OK
    }
}

fn no_data_message(report: &Report) -> String {
    if report.requested_strategies.is_empty() {
        format!(
            "no strategy has data in the window; widen it (--days, --from/--to) or check --group-by {}",
            output::escape(&report.group_by)
        )
    } else {
        let ids: Vec<_> = report
            .requested_strategies
            .iter()
            .map(|id| output::escape(id))
            .collect();
        format!(
            "none of the requested strategies has data in the window ({}); check the --strategy values and the window",
            ids.join(", ")
        )
    }
}

fn report_sink_failures(outcome: &Outcome) {
    for o in outcome
        .audit
        .sink_outcomes
        .iter()
        .chain(&outcome.audit_outcomes)
    {
        if !o.is_delivered() {
            let kept = o
                .dead_letter
                .as_ref()
                .map(|p| format!("; payload kept in {}", p.display()))
                .unwrap_or_default();
            eprintln!(
                "routing-eval: sink {} failed: {}{kept}",
                output::escape(&o.sink),
                output::escape(o.error.as_deref().unwrap_or("unknown error"))
            );
        }
    }
}

/// Prints a one-line cause and returns the exit code for `error`.
fn fail(error: &Error) -> u8 {
    eprintln!("routing-eval: {}", output::escape(&error.to_string()));
    if error.kind() == ErrorKind::Config {
        exit::USAGE
    } else {
        exit::FAILED
    }
}
