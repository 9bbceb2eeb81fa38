//! `routing-eval compare`: on the same traffic, is a strategy better than the baseline, by how
//! much, and how sure are we. Offline from a comparison file (`--input`), or live from
//! Genesys (or the emulator) over a window ([`crate::compare_live`]).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use genesys_routing_eval::comparison::{
    CellTable, Comparison, ComparisonConfigBuilder, ComparisonFile, compare,
};
use genesys_routing_eval::names::Names;
use genesys_routing_eval::{Error, ErrorKind};

use crate::evaluate::Format;
use crate::{compare_output, exit, input, messages, output};

/// Arguments of `routing-eval compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Offline: a comparison file, `{"config"?, "rows"}` (the comparison vector format); `-`
    /// for stdin. Without it, the comparison is fetched live over the window.
    #[arg(long, value_name = "FILE|-")]
    pub(crate) input: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) live: crate::compare_live::LiveArgs,
    /// The baseline strategy (default: the file's, else the most offered).
    #[arg(long, value_name = "ID")]
    pub(crate) baseline: Option<String>,
    /// A contender (repeatable; default: the file's, else every other strategy).
    #[arg(long = "contender", value_name = "ID")]
    pub(crate) contenders: Vec<String>,
    /// A KPI to compare (repeatable): abandonRate, serviceLevel, transferRate,
    /// avgSpeedOfAnswer, avgHandleTime (default: the file's, else all five).
    #[arg(long = "kpi", value_name = "NAME")]
    pub(crate) kpis: Vec<String>,
    /// Significance level for the Holm-adjusted p-values, in (0, 1) (default: the file's,
    /// else 0.05).
    #[arg(long, value_name = "P")]
    pub(crate) alpha: Option<f64>,
    /// Power for the minimum detectable difference, in (0, 1) (default: the file's, else 0.8).
    #[arg(long, value_name = "P")]
    pub(crate) power: Option<f64>,
    /// Output: `table` (for people), `json` (the comparison object), `csv` (one line per
    /// contender and KPI) or `html` (one self-contained page with the forest plot; live, also
    /// the ranking, trends and fallbacks).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    /// Also write the HTML report to this file, beside the `--format` output.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    if args.input.is_none() {
        return crate::compare_live::run(&args).await;
    }
    if let Some(flag) = args.live.given_flag() {
        return fail(&Error::new(
            ErrorKind::Config,
            format!("{flag} applies to a live comparison; drop it or drop --input"),
        ));
    }
    let comparison = match offline(&args) {
        Ok(comparison) => comparison,
        Err(e) => return fail(&e),
    };
    if let Some(path) = &args.html
        && let Err(e) = std::fs::write(path, crate::html::render(None, Some(&comparison), "UTC"))
    {
        eprintln!(
            "routing-eval compare: cannot write the HTML report to {}: {e}",
            path.display()
        );
        return exit::FAILED;
    }
    match print(&comparison, args.format) {
        Ok(()) => exit::OK,
        Err(e) if output::is_broken_pipe(&e) => exit::OK,
        Err(e) => {
            eprintln!("routing-eval compare: cannot write the output: {e}");
            exit::FAILED
        }
    }
}

/// Prints every line of `error` and returns its exit code: bad usage, settings or input
/// (configuration and decode errors) are 2, anything else 1.
fn fail(error: &Error) -> u8 {
    for line in messages::lines(error) {
        eprintln!("routing-eval compare: {}", output::escape(&line));
    }
    match error.kind() {
        ErrorKind::Config | ErrorKind::Decode => exit::USAGE,
        _ => exit::FAILED,
    }
}

/// The comparison of the `--input` file, its settings overridden by the flags.
fn offline(args: &Args) -> Result<Comparison, Error> {
    let path = args.input.as_deref().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            "--input FILE is required; pass a comparison file (or - for stdin)",
        )
    })?;
    let bytes = read_input(path)?;
    let file = ComparisonFile::from_slice(&bytes).map_err(|e| in_file(path, e))?;
    let (builder, table): (ComparisonConfigBuilder, CellTable) = file.into_parts();
    let config = overridden(builder, args).build()?;
    compare(&config, &table)
}

/// The file's settings with the flags given on the command line in their place.
pub(crate) fn overridden(
    mut builder: ComparisonConfigBuilder,
    args: &Args,
) -> ComparisonConfigBuilder {
    if let Some(baseline) = &args.baseline {
        builder = builder.baseline(baseline);
    }
    if !args.contenders.is_empty() {
        builder = builder.contenders(&args.contenders);
    }
    if !args.kpis.is_empty() {
        builder = builder.kpi_names(&args.kpis);
    }
    if let Some(alpha) = args.alpha {
        builder = builder.alpha(alpha);
    }
    if let Some(power) = args.power {
        builder = builder.power(power);
    }
    builder
}

/// `error` with the file's name in front, so the line and column point somewhere.
fn in_file(path: &Path, error: Error) -> Error {
    let mut named = Error::new(
        error.kind(),
        format!("`{}`: {}", path.display(), error.message()),
    );
    if let Some(json_path) = error.json_path() {
        named = named.with_json_path(json_path);
    }
    named.with_source(error)
}

fn read_input(path: &Path) -> Result<Vec<u8>, Error> {
    if let Some(stdin) = input::stdin_if_dash(path) {
        return stdin;
    }
    input::not_a_directory(path, "comparison")?;
    std::fs::read(path).map_err(|e| input::unreadable(path, e))
}

fn print(comparison: &Comparison, format: Format) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match format {
        Format::Table => compare_output::write_table(comparison, &Names::default(), &mut out)?,
        Format::Csv => compare_output::write_csv(comparison, None, &mut out)?,
        Format::Html => {
            out.write_all(crate::html::render(None, Some(comparison), "UTC").as_bytes())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, comparison)?;
            writeln!(out)?;
        }
    }
    out.flush()
}
