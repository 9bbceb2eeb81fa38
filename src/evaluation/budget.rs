//! How much work a window costs before any request: jobs from the window and the source's
//! limit, requests from a fixed per-job figure, and the budget that refuses a runaway window.

use std::time::Duration;

use super::{Plan, SourceKind, Window};
use crate::error::ValidationError;

/// Default job budget of an evaluation: 50 jobs, which is 50 x 30 = 1,500 days (about four
/// years) of the aggregates source at its default chunk size.
pub const DEFAULT_MAX_JOBS: usize = 50;

/// Requests counted for each job in an [`Estimate`]: one submission, three status polls (a
/// job that takes about two seconds under the default poll policy) and one results page.
///
/// Real runs make more when a job is slow (one poll per interval, at most one every 10 s) or
/// has more groups than a page holds; the figure says what the window costs at least.
pub const REQUESTS_PER_JOB: u64 = 5;

/// What a run costs, computed before it starts.
///
/// `jobs` is exact in UTC (across a DST change it may count one job more than the run
/// makes): the aggregates source splits the window into chunks of at most
/// `max_window_days` local days, one job each (two with the fallback table); the strategies
/// source runs one job for the whole window. `requests` is `1` (the token) `+ jobs x` [`REQUESTS_PER_JOB`].
///
/// # Example
/// ```
/// # fn main() -> genesys_routing_eval::Result<()> {
/// use genesys_routing_eval::{Client, evaluation::Evaluation};
/// let client = Client::builder()
///     .api_base("http://127.0.0.1:9")
///     .credentials("id", "secret")
///     .build()?;
/// let evaluation = Evaluation::builder().client(client).last_days(45).build()?;
/// let estimate = evaluation.estimate()?;
/// assert_eq!(estimate.jobs, 2); // 30 + 15 days
/// assert_eq!(estimate.requests, 11);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Estimate {
    /// Jobs the run submits.
    pub jobs: usize,
    /// Requests it makes, at least (see the type's documentation).
    pub requests: u64,
}

/// The cost of running `plan` over `window`.
pub(crate) fn estimate(plan: &Plan, window: Window) -> Estimate {
    let jobs = match plan.source {
        SourceKind::Strategies => 1,
        // The fallback table is one more query over the same chunks.
        _ => chunk_count(window, plan.max_window_days) * (1 + usize::from(plan.fallbacks)),
    };
    Estimate {
        jobs,
        requests: 1 + jobs as u64 * REQUESTS_PER_JOB,
    }
}

/// Chunks of at most `max_days` days covering `window`, counted without building them (a
/// window of 100,000 days must be refused, not enumerated).
fn chunk_count(window: Window, max_days: u32) -> usize {
    // `days()` rounds up whole 24-hour days, so a window crossing a DST change that adds an
    // hour may count one chunk more than `Window::chunks` makes: the estimate errs high.
    let days = window.days().max(1) as u64;
    let per = u64::from(max_days.max(1));
    usize::try_from(days.div_ceil(per)).unwrap_or(usize::MAX)
}

/// Refuses a plan whose window needs more jobs than its budget.
pub(crate) fn check(plan: &Plan, window: Window) -> Result<(), ValidationError> {
    let cost = estimate(plan, window);
    if cost.jobs > plan.max_jobs {
        return Err(ValidationError::OverBudget {
            jobs: cost.jobs,
            requests: cost.requests,
            max_jobs: plan.max_jobs,
        });
    }
    Ok(())
}

/// A duration as people write it: `90s`, `2m30s`, `1h`, `250ms`.
pub(crate) fn human(d: Duration) -> String {
    let total = d.as_secs();
    if total == 0 {
        return format!("{}ms", d.as_millis());
    }
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let mut out = String::new();
    for (n, unit) in [(h, "h"), (m, "m"), (s, "s")] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn days(n: i64) -> Window {
        let from = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        Window {
            from,
            to: from + chrono::Duration::days(n),
        }
    }

    #[test]
    fn chunk_count_matches_the_chunks_the_fetch_makes() {
        for n in [1, 29, 30, 31, 45, 60, 61, 3650] {
            let w = days(n);
            assert_eq!(
                chunk_count(w, 30),
                w.chunks(30, chrono_tz::UTC).len(),
                "{n} days"
            );
        }
        assert_eq!(chunk_count(days(100_000), 30), 3334);
    }

    #[test]
    fn durations_read_as_written() {
        assert_eq!(human(Duration::from_secs(150)), "2m30s");
        assert_eq!(human(Duration::from_secs(3600)), "1h");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
    }
}
