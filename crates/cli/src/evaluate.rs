//! `routing-eval evaluate`: query, score, deliver, audit; the ranked table on stdout.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use genesys_routing_eval::evaluation::{
    Evaluation, EvaluationBuilder, Outcome, Report, SourceKind,
};
use genesys_routing_eval::progress::{self, ProgressEvent, Status};
use genesys_routing_eval::scoring::ScoringConfig;
use genesys_routing_eval::{Client, Error};

use crate::connect::{self, Connection};
use crate::delivery::{self, Delivery};
use crate::run_flags::RunFlags;
use crate::window::WindowArgs;
use crate::{exit, messages, output};

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
    #[command(flatten)]
    window: WindowArgs,
    /// Scoring preset: `rates` (quality per caller, no reward for sheer volume; the default on
    /// the aggregates source) or `tutorial` (the tutorial's weights, direction corrected; the
    /// default on the strategies source, which supplies only its KPIs).
    #[arg(long, value_enum, value_name = "PRESET")]
    preset: Option<Preset>,
    /// Append the audit record to this JSON lines file.
    #[arg(long, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    /// Keep undeliverable webhook payloads here (only with BI_WEBHOOK_URL; default:
    /// $XDG_STATE_HOME/routing-eval/dead-letters, else ~/.local/state/routing-eval/dead-letters).
    #[arg(long, value_name = "DIR")]
    dead_letter_dir: Option<PathBuf>,
    #[command(flatten)]
    run: RunFlags,
    /// Output format: `table` (for people), `json`, `csv`, or `html` (one self-contained page
    /// with charts: ranking, comparison forest plot, trends, fallbacks, coverage notes).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the HTML report to this file, beside the `--format` output.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
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
    /// One self-contained HTML page with inline SVG charts.
    Html,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    // Kept alive for the whole run: dropping it stops the embedded emulator.
    let connection = match connect::connect(args.run.emulator).await {
        Ok(connection) => connection,
        Err(e) => return fail(&e),
    };
    let jobs = JobTracker::default();
    let status = Status::new();
    let (evaluation, delivery) = match prepare(&args, &connection, &jobs, &status) {
        Ok(ready) => ready,
        Err(problems) => return usage(&problems),
    };
    for note in &connection.notes {
        eprintln!("routing-eval: {note}");
    }
    if let Some(dir) = &delivery.dead_letter_dir {
        eprintln!(
            "routing-eval: undeliverable webhook payloads are kept in {}",
            dir.display()
        );
    }
    args.run.announce(&evaluation);
    let outcome = match drive(&evaluation, &jobs, &status, args.run.status_interval).await {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    drop(connection);
    if let Err(code) = write_html(
        args.html.as_deref(),
        &outcome.report,
        None,
        &args.window.time_zone,
    ) {
        return code;
    }
    print_outcome(&outcome, args.format, &args.window.time_zone)
}

/// Writes the HTML report to `path` when one was given (`--html FILE`). `Err` holds the exit
/// code after the cause was printed.
pub(crate) fn write_html(
    path: Option<&std::path::Path>,
    report: &Report,
    comparison: Option<&genesys_routing_eval::comparison::Comparison>,
    time_zone: &str,
) -> Result<(), u8> {
    let Some(path) = path else { return Ok(()) };
    let page = crate::html::render(Some(report), comparison, time_zone);
    std::fs::write(path, page).map_err(|e| {
        eprintln!(
            "routing-eval: cannot write the HTML report to {}: {e}",
            path.display()
        );
        exit::FAILED
    })
}

/// Runs `evaluation` with an operator's safety around it: status lines outside a terminal,
/// Ctrl-C cancelling its jobs, and on failure the cause printed. `Err` holds the exit code.
pub(crate) async fn drive(
    evaluation: &Evaluation,
    jobs: &JobTracker,
    status: &Status,
    status_interval: Duration,
) -> Result<Outcome, u8> {
    let ticker = status_ticker(evaluation, status_interval, status);
    let outcome = tokio::select! {
        outcome = evaluation.run() => outcome,
        () = ticker => unreachable!("the status ticker never ends"),
        _ = tokio::signal::ctrl_c() => {
            // Leaving the select dropped the run, whose jobs' guards are sending DELETEs now:
            // give them a moment so that no job is left running on the server.
            finish_progress_line();
            let left = jobs.wait_until_idle(CANCEL_GRACE).await;
            eprintln!("routing-eval: interrupted; {left} job(s) could not be confirmed cancelled");
            return Err(exit::FAILED);
        }
    };
    finish_progress_line();
    match outcome {
        Ok(outcome) => Ok(outcome),
        Err(e) => {
            // A deadline or a failed chunk dropped the other jobs, whose guards are sending
            // DELETEs: let them land before the runtime stops.
            jobs.wait_until_idle(CANCEL_GRACE).await;
            Err(fail(&e))
        }
    }
}

/// Everything checked before any request: the client, the sinks, the evaluation. Every
/// problem found comes back, one line each.
fn prepare(
    args: &Args,
    connection: &Connection,
    jobs: &JobTracker,
    status: &Status,
) -> Result<(Evaluation, Delivery), Vec<String>> {
    let client = args
        .run
        .client(connection.client.clone())
        .build()
        .map_err(|e| messages::lines(&e));
    let delivery = delivery::open(args.audit_log.as_deref(), args.dead_letter_dir.as_deref());
    let (client, mut delivery) = match (client, delivery) {
        (Ok(client), Ok(delivery)) => (client, delivery),
        (client, delivery) => {
            let mut problems = client.err().unwrap_or_default();
            problems.extend(delivery.err().unwrap_or_default());
            return Err(problems);
        }
    };
    let mut builder = builder(args, client, jobs, status).allow_emulator_data(connection.explicit);
    if let Some(webhook) = delivery.webhook.take() {
        builder = builder.webhook(webhook);
    }
    if let Some(audit) = delivery.audit.take() {
        builder = builder.audit_sink(audit);
    }
    let evaluation = builder.build().map_err(|e| messages::lines(&e))?;
    Ok((evaluation, delivery))
}

/// Outside a terminal, a status line every `interval` on the client's clock, so that a slow
/// or rate-limited run is never silent; in a terminal the progress line does that job.
async fn status_ticker(evaluation: &Evaluation, interval: Duration, status: &Status) {
    if std::io::stderr().is_terminal() {
        return std::future::pending().await;
    }
    let time = evaluation.time_source().clone();
    progress::report_every(&time, interval, status, |at, line| {
        eprintln!("routing-eval: status after {}s: {line}", at.as_secs());
    })
    .await;
}

/// How long an interrupted run waits for its jobs' cancellations.
const CANCEL_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// Jobs submitted and not yet ended or cancelled, as progress events report them.
#[derive(Clone, Default)]
pub(crate) struct JobTracker {
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
            ProgressEvent::JobState {
                job_id,
                pending: false,
                ..
            } => {
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

/// `builder` reporting its progress to `jobs`, `status` and (in a terminal) stderr.
pub(crate) fn observed(
    builder: EvaluationBuilder,
    jobs: &JobTracker,
    status: &Status,
) -> EvaluationBuilder {
    let print = progress_printer();
    let jobs = jobs.clone();
    let status = status.clone();
    builder.on_progress(move |event| {
        jobs.observe(event);
        status.observe(event);
        print(event);
    })
}

fn builder(args: &Args, client: Client, jobs: &JobTracker, status: &Status) -> EvaluationBuilder {
    let builder = Evaluation::builder()
        .client(client)
        .source(match args.source {
            Source::Aggregates => SourceKind::Aggregates,
            Source::Strategies => SourceKind::Strategies,
        })
        .strategies(args.strategies.iter().cloned());
    let builder = args.run.evaluation(builder);
    let mut builder = observed(builder, jobs, status);
    if let Some(preset) = args.preset {
        builder = builder.scoring(match preset {
            Preset::Rates => ScoringConfig::rates(),
            Preset::Tutorial => ScoringConfig::tutorial(),
        });
    }
    builder = args.window.apply(builder);
    if let Some(dimension) = &args.group_by {
        builder = builder.group_by(dimension.clone());
    }
    builder
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
            ProgressEvent::JobState { job_id, state, .. } => format!("job {job_id}: {state}"),
            ProgressEvent::PageFetched { job_id, page, rows } => {
                format!("job {job_id}: page {page} ({rows} groups)")
            }
            ProgressEvent::JobCancelled { job_id } => format!("job {job_id} cancelled"),
            ProgressEvent::Retrying {
                request,
                wait,
                reason,
                ..
            } => format!(
                "{request}: {reason}; retrying in {:.1}s",
                wait.as_secs_f64()
            ),
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
fn print_outcome(outcome: &Outcome, format: Format, time_zone: &str) -> u8 {
    if let Err(e) = output::print_outcome(outcome, format, time_zone)
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

/// Prints the cause (one line per configuration problem) and returns the exit code.
pub(crate) fn fail(error: &Error) -> u8 {
    let lines = messages::lines(error);
    if error.kind() == genesys_routing_eval::ErrorKind::Config {
        usage(&lines)
    } else {
        for line in lines {
            eprintln!("routing-eval: {}", output::escape(&line));
        }
        exit::FAILED
    }
}

/// Prints usage problems, one a line, and returns the usage exit code.
pub(crate) fn usage(problems: &[String]) -> u8 {
    for problem in problems {
        eprintln!("routing-eval: {}", output::escape(problem));
    }
    exit::USAGE
}
