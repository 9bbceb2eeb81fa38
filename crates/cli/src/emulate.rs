//! `routing-eval emulate`: serves the Genesys-like emulator until Ctrl-C or SIGTERM.

use std::time::Duration;

use routing_eval_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, Scenario};

/// Arguments of `routing-eval emulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port to listen on, on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// The only OAuth client id accepted (with --client-secret; default: a documented pair,
    /// printed at start).
    #[arg(long, env = "GENESYS_CLIENT_ID")]
    client_id: Option<String>,
    /// The only OAuth client secret accepted (with --client-id).
    #[arg(long, env = "GENESYS_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Seed of the synthetic data: the same seed serves the same data.
    #[arg(long, default_value_t = routing_eval_emulator::DEFAULT_SEED)]
    seed: u64,
    /// Milliseconds from a job's submission to its end state.
    #[arg(long, default_value_t = 300)]
    job_latency_ms: u64,
    /// Results per page when a job's query gives no pageSize.
    #[arg(long, default_value_t = 10)]
    page_size: usize,
    /// Lifetime of the tokens issued, in seconds.
    #[arg(long, default_value_t = 86_400)]
    token_lifetime_secs: u64,
    /// Answer 429 beyond this many requests a minute per token (default: no limit).
    #[arg(long)]
    rate_limit: Option<u32>,
    /// A scenario file (JSON, see docs/emulator.md) describing the centre to serve
    /// (default: the built-in centre, crates/emulator/scenarios/default.json).
    #[arg(long, value_name = "FILE")]
    scenario: Option<std::path::PathBuf>,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    let (client_id, client_secret, defaults) = match (args.client_id, args.client_secret) {
        (Some(id), Some(secret)) => (id, secret, false),
        (None, None) => (
            DEFAULT_CLIENT_ID.to_owned(),
            DEFAULT_CLIENT_SECRET.to_owned(),
            true,
        ),
        _ => {
            eprintln!(
                "routing-eval emulate: give both a client id and a client secret (--client-id/--client-secret or GENESYS_CLIENT_ID/GENESYS_CLIENT_SECRET), or neither for the default pair"
            );
            return crate::exit::USAGE;
        }
    };
    let scenario = match &args.scenario {
        Some(path) => match Scenario::from_path(path) {
            Ok(scenario) => scenario,
            Err(e) => {
                eprintln!("routing-eval emulate: {e}");
                return crate::exit::USAGE;
            }
        },
        None => Scenario::default_centre(),
    };
    let mut builder = Emulator::builder()
        .scenario(scenario)
        .port(args.port)
        .seed(args.seed)
        .job_latency(Duration::from_millis(args.job_latency_ms))
        .page_size(args.page_size)
        .token_lifetime(Duration::from_secs(args.token_lifetime_secs))
        .credentials(client_id, client_secret);
    if let Some(limit) = args.rate_limit {
        builder = builder.rate_limit(limit);
    }
    let emulator = match builder.start().await {
        Ok(emulator) => emulator,
        Err(e) => {
            eprintln!("routing-eval emulate: {e}");
            return crate::exit::FAILED;
        }
    };
    // The first line is the base URL alone, so scripts can read it.
    println!("{}", emulator.base_url());
    if defaults {
        println!("client id: {}", emulator.client_id());
        println!("client secret: {}", emulator.client_secret());
    }
    eprintln!(
        "routing-eval emulate: serving the Genesys-like emulator (scenario {}, {} queues, seed {}); Ctrl-C to stop",
        emulator.scenario().name,
        emulator.scenario().queues.len(),
        emulator.seed()
    );
    stopped().await;
    drop(emulator);
    crate::exit::OK
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
