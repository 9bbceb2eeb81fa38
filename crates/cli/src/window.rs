//! The window flags `evaluate` and `compare` share: which days, which buckets, which zone.

use chrono::{DateTime, Utc};
use genesys_routing_eval::evaluation::EvaluationBuilder;

/// Default window when neither `--days` nor `--from/--to` is given.
const DEFAULT_DAYS: u32 = 7;

/// `--days`, `--from/--to`, `--granularity`, `--time-zone`.
#[derive(Debug, clap::Args)]
pub struct WindowArgs {
    /// The N most recent complete days, ending at today's midnight in the time zone.
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to"])]
    pub days: Option<u32>,
    /// Window start, RFC 3339 (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<DateTime<Utc>>,
    /// Window end, RFC 3339, exclusive (with --from).
    #[arg(long, requires = "from")]
    pub to: Option<DateTime<Utc>>,
    /// Bucket size, ISO-8601.
    #[arg(long, default_value = "P1D")]
    pub granularity: String,
    /// IANA time zone for days and buckets.
    #[arg(long, default_value = "UTC")]
    pub time_zone: String,
}

impl WindowArgs {
    /// `builder` over this window.
    pub fn apply(&self, builder: EvaluationBuilder) -> EvaluationBuilder {
        let builder = builder
            .granularity(self.granularity.clone())
            .time_zone(self.time_zone.clone());
        match (self.from, self.to) {
            (Some(from), Some(to)) => builder.between(from, to),
            _ => builder.last_days(self.days.unwrap_or(DEFAULT_DAYS)),
        }
    }
}
