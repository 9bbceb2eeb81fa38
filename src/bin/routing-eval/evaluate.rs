//! `routing-eval evaluate`: query, score, deliver, audit; the ranked table on stdout.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use chrono::{DateTime, Utc};
use genesys_routing_eval::config::Timeouts;
use genesys_routing_eval::evaluation::{
    DEFAULT_MAX_JOBS, Evaluation, EvaluationBuilder, Outcome, Report, SourceKind,
};
use genesys_routing_eval::progress::{self, ProgressEvent, Status};
use genesys_routing_eval::scoring::ScoringConfig;
use genesys_routing_eval::{Client, DataOrigin, Error};

use crate::connect::{self, Connection};
use crate::delivery::{self, Delivery};
use crate::{duration, exit, messages};

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
    /// Scoring preset: `default` (the tutorial's weights, corrected) or `rates` (no reward
    /// for sheer volume).
    #[arg(long, value_enum, default_value_t = Preset::Default)]
    preset: Preset,
    /// Append the audit record to this JSON lines file.
    #[arg(long, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    /// Keep undeliverable webhook payloads here (only with BI_WEBHOOK_URL; default:
    /// $XDG_STATE_HOME/routing-eval/dead-letters, else ~/.local/state/routing-eval/dead-letters).
    #[arg(long, value_name = "DIR")]
    dead_letter_dir: Option<PathBuf>,
    /// Evaluate the embedded emulator's synthetic data, ignoring GENESYS_* settings; lets
    /// that data reach the webhook and the audit log (marked "dataOrigin": "emulator").
    #[arg(long)]
    emulator: bool,
    /// Most jobs the run may submit (one per 30 days of window); a longer window is refused.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_JOBS)]
    max_jobs: usize,
    /// Time allowed for each HTTP request (such as 30s; default 60s).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    request_timeout: Option<Duration>,
    /// Time allowed for the whole query phase (such as 10m); then its jobs are cancelled and
    /// the run fails (exit 1). Default: none.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    deadline: Option<Duration>,
    /// Outside a terminal, print a status line on stderr this often.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, default_value = "10s")]
    status_interval: Duration,
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
    Default,
    Rates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

/// Default window when neither `--days` nor `--from/--to` is given.
const DEFAULT_DAYS: u32 = 7;

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    // Kept alive for the whole run: dropping it stops the embedded emulator.
    let connection = match connect::connect(args.emulator).await {
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
    let ticker = status_ticker(&evaluation, args.status_interval, &status);
    let outcome = tokio::select! {
        outcome = evaluation.run() => outcome,
        () = ticker => unreachable!("the status ticker never ends"),
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
    drop(connection);
    match outcome {
        Ok(outcome) => print_outcome(&outcome, args.format),
        Err(e) => {
            // A deadline or a failed chunk dropped the other jobs, whose guards are sending
            // DELETEs: let them land before the runtime stops.
            jobs.wait_until_idle(CANCEL_GRACE).await;
            fail(&e)
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
    let mut client = connection.client.clone();
    if let Some(request) = args.request_timeout {
        client = client.timeouts(Timeouts::new(Timeouts::default().connect, request));
    }
    let client = client.build().map_err(|e| messages::lines(&e));
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

fn builder(args: &Args, client: Client, jobs: &JobTracker, status: &Status) -> EvaluationBuilder {
    let mut builder = Evaluation::builder()
        .client(client)
        .source(match args.source {
            Source::Aggregates => SourceKind::Aggregates,
            Source::Strategies => SourceKind::Strategies,
        })
        .strategies(args.strategies.iter().cloned())
        .granularity(args.granularity.clone())
        .time_zone(args.time_zone.clone())
        .max_jobs(args.max_jobs)
        .scoring(match args.preset {
            Preset::Default => ScoringConfig::default(),
            Preset::Rates => ScoringConfig::rates(),
        })
        .on_progress({
            let print = progress_printer();
            let jobs = jobs.clone();
            let status = status.clone();
            move |event| {
                jobs.observe(event);
                status.observe(event);
                print(event);
            }
        });
    builder = match (args.from, args.to) {
        (Some(from), Some(to)) => builder.between(from, to),
        _ => builder.last_days(args.days.unwrap_or(DEFAULT_DAYS)),
    };
    if let Some(dimension) = &args.group_by {
        builder = builder.group_by(dimension.clone());
    }
    if let Some(deadline) = args.deadline {
        builder = builder.deadline(deadline);
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
            ProgressEvent::JobState { job_id, state } => format!("job {job_id}: {state}"),
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
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }
}

fn finish_progress_line() {
    if std::io::stderr().is_terminal() {
        eprint!("\r\x1b[2K");
    }
}

fn print_outcome(outcome: &Outcome, format: Format) -> u8 {
    let printed = match format {
        Format::Table => print_table(&outcome.report),
        Format::Csv => print_csv(&outcome.report),
        Format::Json => print_json(outcome),
    };
    if let Err(e) = printed {
        eprintln!("routing-eval: cannot write the report: {e}");
        return exit::FAILED;
    }
    if outcome.sinks_failed() {
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
                    o.sink,
                    o.error.as_deref().unwrap_or("unknown error")
                );
            }
        }
        return exit::SINK_FAILED;
    }
    exit::OK
}

fn print_json(outcome: &Outcome) -> std::io::Result<()> {
    let doc = serde_json::json!({ "report": &outcome.report, "audit": &outcome.audit });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &doc)?;
    writeln!(out)
}

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

fn fmt_pct(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// The table's first line when the data is synthetic.
const EMULATOR_BANNER: &str =
    "EMULATOR DATA: synthetic figures from the embedded emulator, not from Genesys Cloud";

fn print_table(report: &Report) -> std::io::Result<()> {
    use genesys_routing_eval::metrics::Kpi;
    let mut out = std::io::stdout().lock();
    if report.data_origin == DataOrigin::Emulator {
        writeln!(out, "{EMULATOR_BANNER}")?;
    }
    writeln!(
        out,
        "Routing strategies by {} ({} source), {} to {}",
        report.group_by,
        report.source,
        report.window.from.format("%Y-%m-%d %H:%M"),
        report.window.to.format("%Y-%m-%d %H:%M UTC")
    )?;
    writeln!(
        out,
        "{:>4}  {:<24} {:>6} {:>6} {:>8} {:>7} {:>8} {:>8} {:>7}  confidence",
        "rank", "strategy", "score", "pctl", "offered", "asa_s", "abandon", "svc_lvl", "aht_s",
    )?;
    for (i, line) in report.ranked().into_iter().enumerate() {
        let k = &line.kpis;
        let confidence = match (line.confidence.low_confidence, line.confidence.sample_size) {
            (_, None) => "no data".to_owned(),
            (true, Some(n)) => format!("low (n={n})"),
            (false, Some(n)) => format!("ok (n={n})"),
        };
        writeln!(
            out,
            "{:>4}  {:<24} {:>6} {:>6} {:>8} {:>7} {:>8} {:>8} {:>7}  {}",
            i + 1,
            line.strategy_id,
            fmt_opt(line.score, 3),
            fmt_opt(line.percentile_rank, 2),
            fmt_opt(k.get(Kpi::Offered), 0),
            fmt_opt(k.get(Kpi::AvgSpeedOfAnswer), 1),
            fmt_pct(k.get(Kpi::AbandonRate)),
            fmt_pct(k.get(Kpi::ServiceLevel)),
            fmt_opt(k.get(Kpi::AvgHandleTime), 0),
            confidence
        )?;
    }
    if !report.missing_strategies.is_empty() {
        writeln!(out, "no data for: {}", report.missing_strategies.join(", "))?;
    }
    if let Some(offered) = report.unattributed.get(Kpi::Offered).filter(|n| *n > 0.0) {
        writeln!(
            out,
            "unattributed (no {}): {offered:.0} offered",
            report.group_by
        )?;
    }
    Ok(())
}

fn print_csv(report: &Report) -> std::io::Result<()> {
    use genesys_routing_eval::metrics::Kpi;
    let mut out = std::io::stdout().lock();
    let kpi_names: Vec<&str> = Kpi::ALL.iter().map(|k| k.name()).collect();
    writeln!(
        out,
        "rank,strategyId,score,percentileRank,coverage,{},sampleSize,lowConfidence,dataOrigin",
        kpi_names.join(",")
    )?;
    let cell = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for (i, line) in report.ranked().into_iter().enumerate() {
        let kpis: Vec<String> = line.kpis.iter().map(|(_, v)| cell(v)).collect();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            i + 1,
            csv_field(&line.strategy_id),
            cell(line.score),
            cell(line.percentile_rank),
            line.coverage,
            kpis.join(","),
            line.confidence
                .sample_size
                .map(|n| n.to_string())
                .unwrap_or_default(),
            line.confidence.low_confidence,
            report.data_origin
        )?;
    }
    Ok(())
}

/// Quotes a CSV field when it holds a comma, quote or line break (RFC 4180).
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// Prints the cause (one line per configuration problem) and returns the exit code.
fn fail(error: &Error) -> u8 {
    let lines = messages::lines(error);
    if error.kind() == genesys_routing_eval::ErrorKind::Config {
        usage(&lines)
    } else {
        for line in lines {
            eprintln!("routing-eval: {line}");
        }
        exit::FAILED
    }
}

/// Prints usage problems, one a line, and returns the usage exit code.
fn usage(problems: &[String]) -> u8 {
    for problem in problems {
        eprintln!("routing-eval: {problem}");
    }
    exit::USAGE
}
