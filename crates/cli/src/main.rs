//! `routing-eval`: evaluate routing strategies, score offline, or serve the emulator.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod compare;
mod compare_live;
mod compare_output;
mod connect;
mod delivery;
mod duration;
mod emulate;
mod evaluate;
mod html;
mod input;
mod messages;
mod output;
mod run_flags;
mod score;
mod window;

/// Evaluate Genesys Cloud routing strategies.
#[derive(Debug, Parser)]
#[command(name = "routing-eval", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run an evaluation: query analytics, score, deliver, audit.
    Evaluate(evaluate::Args),
    /// Score a metric file offline.
    Score(score::Args),
    /// Compare strategies on the same traffic: better than the baseline, by how much, how sure.
    Compare(compare::Args),
    /// Serve the Genesys-like emulator until stopped.
    Emulate(emulate::Args),
}

/// Exit codes, as documented in the README.
pub mod exit {
    /// Everything done.
    pub const OK: u8 = 0;
    /// The evaluation failed.
    pub const FAILED: u8 = 1;
    /// Bad usage or configuration.
    pub const USAGE: u8 = 2;
    /// Evaluated and printed, but a sink failed.
    pub const SINK_FAILED: u8 = 3;
}

/// Logs to stderr, filtered by `RUST_LOG` (default: warnings only, so stdout stays the report).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(exit::USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("routing-eval: cannot start the async runtime: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Evaluate(args) => evaluate::run(args).await,
            Command::Score(args) => score::run(args).await,
            Command::Compare(args) => compare::run(args).await,
            Command::Emulate(args) => emulate::run(args).await,
        }
    });
    ExitCode::from(code)
}
