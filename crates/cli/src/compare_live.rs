//! `routing-eval compare` without `--input`: one evaluation over the window whose comparison
//! is the output, with the operator's safety of `evaluate` (checked before any request,
//! status lines, Ctrl-C cancelling the jobs). It delivers nothing: no webhook, no audit log.

use std::io::{self, Write};

use genesys_routing_eval::Error;
use genesys_routing_eval::comparison::{CellMatch, Comparison, ComparisonConfig};
use genesys_routing_eval::evaluation::{Evaluation, NamedComparison, Report};
use genesys_routing_eval::progress::Status;

use crate::compare::{self, Args};
use crate::evaluate::{self, Format, JobTracker};
use crate::run_flags::RunFlags;
use crate::window::WindowArgs;
use crate::{compare_output, connect, exit, messages, output};

/// The flags of a live comparison.
#[derive(Debug, clap::Args)]
pub struct LiveArgs {
    /// The treatment: the dimension whose values are the strategies compared (`usedRouting`,
    /// as treated; `requestedRouting`, as assigned).
    #[arg(long, value_name = "DIM")]
    group_by: Option<String>,
    /// A dimension a cell holds fixed besides its time key (repeatable; default: queueId).
    #[arg(long = "within", value_name = "DIM")]
    within: Vec<String>,
    /// The cell's time key: `bucket` (a concurrent split), `hour-of-day` (a time-sliced test
    /// such as Genesys Predictive Routing's comparison mode; needs PT15M, PT30M or PT1H) or
    /// `window` (the whole window). Default: bucket.
    #[arg(long = "match", value_enum, value_name = "MATCH")]
    cell_match: Option<Match>,
    /// Also fetch the fallback table: the share of each requested method's interactions each
    /// used method delivered (one more query per 30 days).
    #[arg(long)]
    fallbacks: bool,
    #[command(flatten)]
    window: WindowArgs,
    #[command(flatten)]
    run: RunFlags,
}

/// `--match`'s values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Match {
    Bucket,
    HourOfDay,
    Window,
}

impl LiveArgs {
    /// The first live-only flag given, to refuse it beside `--input`.
    pub fn given_flag(&self) -> Option<&'static str> {
        let w = &self.window;
        [
            (self.group_by.is_some(), "--group-by"),
            (!self.within.is_empty(), "--within"),
            (self.cell_match.is_some(), "--match"),
            (self.fallbacks, "--fallbacks"),
            (w.days.is_some(), "--days"),
            (w.from.is_some() || w.to.is_some(), "--from/--to"),
            (self.run.emulator, "--emulator"),
            (self.run.deadline.is_some(), "--deadline"),
            (self.run.request_timeout.is_some(), "--request-timeout"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    fn config(&self, args: &Args) -> Result<ComparisonConfig, Error> {
        let mut builder = ComparisonConfig::builder();
        if let Some(treatment) = &self.group_by {
            builder = builder.treatment(treatment);
        }
        if !self.within.is_empty() {
            builder = builder.within(&self.within);
        }
        builder = builder.cell_match(match self.cell_match.unwrap_or(Match::Bucket) {
            Match::Bucket => CellMatch::Bucket,
            Match::HourOfDay => CellMatch::HourOfDay,
            Match::Window => CellMatch::Window,
        });
        compare::overridden(builder, args).build()
    }
}

/// Runs a live comparison and returns the exit code (as `evaluate`: 2 for bad usage before
/// any request, 1 when the run fails or no strategy has data).
pub async fn run(args: &Args) -> u8 {
    let live = &args.live;
    let config = match live.config(args) {
        Ok(config) => config,
        Err(e) => return evaluate::usage(&messages::lines(&e)),
    };
    let connection = match connect::connect(live.run.emulator).await {
        Ok(connection) => connection,
        Err(e) => return evaluate::fail(&e),
    };
    let jobs = JobTracker::default();
    let status = Status::new();
    let evaluation = match prepare(live, config, &connection, &jobs, &status) {
        Ok(evaluation) => evaluation,
        Err(e) => return evaluate::fail(&e),
    };
    for note in &connection.notes {
        eprintln!("routing-eval: {note}");
    }
    live.run.announce(&evaluation);
    // Boxed: the evaluation's future (its fetch, the retry loop, the embedded emulator) is
    // deep enough that nesting it here unboxed passes the compiler's default query depth.
    let drive = Box::pin(evaluate::drive(
        &evaluation,
        &jobs,
        &status,
        live.run.status_interval,
    ));
    let outcome = match drive.await {
        Ok(outcome) => outcome,
        Err(code) => return code,
    };
    drop(connection);
    let Some(comparison) = &outcome.report.comparison else {
        let why = outcome
            .report
            .comparison_note
            .as_deref()
            .unwrap_or("no comparison ran");
        eprintln!("routing-eval: {why}; widen the window (--days, --from/--to)");
        return exit::FAILED;
    };
    let time_zone = &live.window.time_zone;
    if let Err(code) = evaluate::write_html(
        args.html.as_deref(),
        &outcome.report,
        Some(comparison),
        time_zone,
    ) {
        return code;
    }
    match print(&outcome.report, comparison, args.format, time_zone) {
        Ok(()) => exit::OK,
        Err(e) if output::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            eprintln!("routing-eval: cannot write the comparison: {e}");
            exit::FAILED
        }
    }
}

fn prepare(
    live: &LiveArgs,
    config: ComparisonConfig,
    connection: &connect::Connection,
    jobs: &JobTracker,
    status: &Status,
) -> Result<Evaluation, Error> {
    let client = live.run.client(connection.client.clone()).build()?;
    let builder = Evaluation::builder()
        .client(client)
        .comparison(config)
        .fallbacks(live.fallbacks);
    let mut builder = live.run.evaluation(builder);
    if let Some(treatment) = &live.group_by {
        builder = builder.group_by(treatment.clone());
    }
    builder = live.window.apply(builder);
    evaluate::observed(builder, jobs, status).build()
}

fn print(
    report: &Report,
    comparison: &Comparison,
    format: Format,
    time_zone: &str,
) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let origin = report.data_origin;
    match format {
        Format::Table => {
            output::write_context(report, time_zone, &mut out)?;
            compare_output::write_table(comparison, &report.names, &mut out)?;
            if let Some(fallbacks) = &report.fallbacks {
                writeln!(out)?;
                compare_output::write_fallbacks(fallbacks, &mut out)?;
            }
        }
        Format::Csv => compare_output::write_csv(comparison, Some(origin), &mut out)?,
        Format::Html => {
            let page = crate::html::render(Some(report), Some(comparison), time_zone);
            out.write_all(page.as_bytes())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &json(report, comparison))?;
            writeln!(out)?;
        }
    }
    out.flush()
}

/// The contract's object at the top level (with the strategies' names beside their ids, as
/// [`NamedComparison`] adds them), with `dataOrigin` (and `fallbacks` when fetched) beside its
/// fields.
fn json(report: &Report, comparison: &Comparison) -> serde_json::Value {
    let (origin, fallbacks) = (report.data_origin, &report.fallbacks);
    let mut doc = serde_json::to_value(NamedComparison::new(comparison, &report.names))
        .expect("a comparison serialises");
    if let Some(map) = doc.as_object_mut() {
        map.insert(
            "dataOrigin".into(),
            serde_json::to_value(origin).expect("an origin"),
        );
        if let Some(fallbacks) = fallbacks {
            map.insert(
                "fallbacks".into(),
                serde_json::to_value(fallbacks).expect("a fallback table serialises"),
            );
        }
    }
    doc
}
