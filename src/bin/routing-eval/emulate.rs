//! `routing-eval emulate` (in progress on its own branch).

/// Arguments of `routing-eval emulate`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the subcommand and returns the exit code.
pub async fn run(_args: Args) -> u8 {
    eprintln!("routing-eval emulate: not built yet");
    crate::exit::USAGE
}
