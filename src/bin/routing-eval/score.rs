//! `routing-eval score` (in progress on its own branch).

/// Arguments of `routing-eval score`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("routing-eval score: not built yet");
    crate::exit::USAGE
}
