//! The flags that keep a run safe for an operator, shared by `evaluate` and live `compare`:
//! where the data may come from, how much work and time the run may take, and how often it
//! says what it is doing.

use std::time::Duration;

use genesys_routing_eval::ClientBuilder;
use genesys_routing_eval::config::Timeouts;
use genesys_routing_eval::evaluation::{DEFAULT_MAX_JOBS, Evaluation, EvaluationBuilder};

use crate::duration;

/// `--emulator`, `--max-jobs`, `--request-timeout`, `--deadline`, `--status-interval`.
#[derive(Debug, clap::Args)]
pub struct RunFlags {
    /// Use the embedded emulator's synthetic data, ignoring GENESYS_* settings; lets that
    /// data reach the webhook and the audit log (marked "dataOrigin": "emulator").
    #[arg(long)]
    pub emulator: bool,
    /// Most jobs the run may submit (one per 30 days of window, twice with the fallback
    /// table); a longer window is refused.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_JOBS)]
    pub max_jobs: usize,
    /// Time allowed for each HTTP request (such as 30s; default 60s).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub request_timeout: Option<Duration>,
    /// Time allowed for the whole query phase (such as 10m); then its jobs are cancelled and
    /// the run fails (exit 1). Default: none.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub deadline: Option<Duration>,
    /// Outside a terminal, print a status line on stderr this often.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse, default_value = "10s")]
    pub status_interval: Duration,
}

impl RunFlags {
    /// `client` with the per-request timeout, if one was given.
    pub fn client(&self, client: ClientBuilder) -> ClientBuilder {
        match self.request_timeout {
            Some(request) => client.timeouts(Timeouts::new(Timeouts::default().connect, request)),
            None => client,
        }
    }

    /// Says on stderr, before the first request, how much work a run of several jobs (a
    /// window longer than one job's limit) will do: its jobs and requests (at least) against
    /// the `--max-jobs` budget, so a long window is never silent. A one-job run says nothing.
    pub fn announce(&self, evaluation: &Evaluation) {
        if let Ok(estimate) = evaluation.estimate()
            && estimate.jobs > 1
        {
            eprintln!(
                "routing-eval: {} jobs planned (about {} requests), within the budget of {} (--max-jobs)",
                estimate.jobs, estimate.requests, self.max_jobs
            );
        }
    }

    /// `builder` with the job budget and the deadline.
    pub fn evaluation(&self, builder: EvaluationBuilder) -> EvaluationBuilder {
        let builder = builder.max_jobs(self.max_jobs);
        match self.deadline {
            Some(deadline) => builder.deadline(deadline),
            None => builder,
        }
    }
}
