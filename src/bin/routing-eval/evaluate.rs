//! `routing-eval evaluate` (in progress on its own branch).

/// Arguments of `routing-eval evaluate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("routing-eval evaluate: not built yet");
    crate::exit::USAGE
}
