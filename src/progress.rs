//! Progress events for long-running work: job submitted, job state, pages fetched, retries,
//! sink delivered. An observer is a plain callback; everything is also traced with `tracing`.
//!
//! [`Status`] folds the events into one line ("what is it doing?") and [`report_every`]
//! hands that line to a callback at a fixed interval, waiting on the injectable
//! [`Sleeper`](crate::time::Sleeper), so that a run outside a terminal is never silent.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::time::TimeSource;

/// Something that happened while an evaluation ran.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A job was accepted by the server.
    JobSubmitted {
        /// The server's job id.
        job_id: String,
    },
    /// A poll saw the job in this state (as the server spelled it).
    JobState {
        /// The server's job id.
        job_id: String,
        /// The state, such as `QUEUED` or `FULFILLED`.
        state: String,
        /// Whether the job is known to be still working on the server, read from
        /// the typed state ([`JobState::is_pending`](crate::sources::aggregates::JobState::is_pending),
        /// [`StrategiesJobState::is_pending`](crate::sources::strategies::StrategiesJobState::is_pending)),
        /// so observers need not know each source's spelling.
        pending: bool,
    },
    /// A page of results was fetched and merged.
    PageFetched {
        /// The server's job id (empty for synchronous queries).
        job_id: String,
        /// 1-based page number within the job.
        page: usize,
        /// Groups or entities on the page.
        rows: usize,
    },
    /// A job was cancelled (deadline passed or the caller gave up).
    JobCancelled {
        /// The server's job id.
        job_id: String,
    },
    /// A request failed retryably and is sent again after `wait`.
    Retrying {
        /// Method and path, such as `POST /api/v2/analytics/conversations/aggregates/jobs`.
        request: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// How long the client waits before the next attempt (the server's `Retry-After`
        /// when it sent one).
        wait: Duration,
        /// Why: `http 429, retry-after from the server`, `http 503`, `timeout`, ...
        reason: String,
    },
    /// A directory could not be read (403): its ids are shown without names.
    NamesUnavailable {
        /// The directory, such as `queues`.
        directory: String,
        /// The missing permission, such as `routing:queue:view`; `None` when the API
        /// documents none for the listing (skills, users).
        permission: Option<String>,
    },
    /// A sink finished with an item.
    SinkDelivered {
        /// The sink's name.
        sink: String,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// A progress callback.
type Observer = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Where progress events go: nowhere by default, or to a callback.
#[derive(Clone, Default)]
pub struct Progress {
    observer: Option<Observer>,
}

impl Progress {
    /// Progress that is only traced.
    pub fn none() -> Self {
        Progress::default()
    }

    /// Progress delivered to `observer` (called inline: keep it quick).
    pub fn with_observer(observer: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        Progress {
            observer: Some(Arc::new(observer)),
        }
    }

    /// Reports `event` to the observer and to `tracing`.
    pub fn emit(&self, event: ProgressEvent) {
        tracing::debug!(?event, "progress");
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

/// A running summary of progress events, rendered as one status line.
///
/// Clones share the summary: give one clone to the evaluation's observer and keep another to
/// render.
///
/// # Example
/// ```
/// use genesys_routing_eval::progress::{ProgressEvent, Status};
/// let status = Status::new();
/// status.observe(&ProgressEvent::JobSubmitted { job_id: "j1".into() });
/// status.observe(&ProgressEvent::JobState { job_id: "j1".into(), state: "QUEUED".into(), pending: true });
/// assert_eq!(status.line(), "1 job: 1 QUEUED; 0 pages fetched; no retries");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Status {
    state: Arc<Mutex<StatusState>>,
}

#[derive(Debug, Default)]
struct StatusState {
    /// Each job's last known state, by job id.
    jobs: BTreeMap<String, String>,
    pages: usize,
    retries: usize,
    last_retry: Option<(String, Duration, String)>,
}

impl Status {
    /// An empty summary.
    pub fn new() -> Self {
        Status::default()
    }

    /// Folds `event` into the summary.
    pub fn observe(&self, event: &ProgressEvent) {
        let mut s = self.state.lock().expect("status lock");
        match event {
            ProgressEvent::JobSubmitted { job_id } => {
                s.jobs.insert(job_id.clone(), "submitted".into());
            }
            ProgressEvent::JobState { job_id, state, .. } => {
                s.jobs.insert(job_id.clone(), state.clone());
            }
            ProgressEvent::JobCancelled { job_id } => {
                s.jobs.insert(job_id.clone(), "cancelled".into());
            }
            ProgressEvent::PageFetched { .. } => s.pages += 1,
            ProgressEvent::Retrying {
                request,
                wait,
                reason,
                ..
            } => {
                s.retries += 1;
                s.last_retry = Some((request.clone(), *wait, reason.clone()));
            }
            ProgressEvent::SinkDelivered { .. } | ProgressEvent::NamesUnavailable { .. } => {}
        }
    }

    /// The summary as one line: jobs by state, pages fetched, retries and the last retry's
    /// wait and reason.
    pub fn line(&self) -> String {
        let s = self.state.lock().expect("status lock");
        let mut by_state: BTreeMap<&str, usize> = BTreeMap::new();
        for state in s.jobs.values() {
            *by_state.entry(state.as_str()).or_default() += 1;
        }
        let jobs = match s.jobs.len() {
            0 => "no job submitted yet".to_owned(),
            n => {
                let states: Vec<String> =
                    by_state.iter().map(|(st, k)| format!("{k} {st}")).collect();
                format!("{n} job{}: {}", plural(n), states.join(", "))
            }
        };
        let pages = format!("{} page{} fetched", s.pages, plural(s.pages));
        let retries = match &s.last_retry {
            None => "no retries".to_owned(),
            Some((request, wait, reason)) => format!(
                "{} retr{}, last: {request} waiting {:.1}s ({reason})",
                s.retries,
                if s.retries == 1 { "y" } else { "ies" },
                wait.as_secs_f64()
            ),
        };
        format!("{jobs}; {pages}; {retries}")
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Calls `emit` with `status.line()` every `interval`, forever: select it against the work
/// it reports on. Waits on `time`'s sleeper, so tests drive it with a manual clock.
pub async fn report_every(
    time: &TimeSource,
    interval: Duration,
    status: &Status,
    mut emit: impl FnMut(Duration, String),
) {
    let started = time.clock.elapsed();
    loop {
        time.sleeper.sleep(interval).await;
        emit(time.clock.elapsed().saturating_sub(started), status.line());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observer_sees_every_event_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let progress = Progress::with_observer(move |e| sink.lock().unwrap().push(e.clone()));
        progress.emit(ProgressEvent::JobSubmitted { job_id: "j".into() });
        progress.emit(ProgressEvent::JobCancelled { job_id: "j".into() });
        assert_eq!(seen.lock().unwrap().len(), 2);
        Progress::none().emit(ProgressEvent::JobSubmitted { job_id: "x".into() });
    }

    #[test]
    fn status_line_counts_jobs_by_state_pages_and_retries() {
        let status = Status::new();
        for id in ["a", "b"] {
            status.observe(&ProgressEvent::JobSubmitted { job_id: id.into() });
        }
        status.observe(&ProgressEvent::JobState {
            job_id: "a".into(),
            state: "FULFILLED".into(),
            pending: false,
        });
        status.observe(&ProgressEvent::PageFetched {
            job_id: "a".into(),
            page: 1,
            rows: 3,
        });
        status.observe(&ProgressEvent::Retrying {
            request: "GET /x".into(),
            attempt: 1,
            wait: Duration::from_secs(7),
            reason: "http 429, retry-after from the server".into(),
        });
        assert_eq!(
            status.line(),
            "2 jobs: 1 FULFILLED, 1 submitted; 1 page fetched; 1 retry, last: GET /x waiting 7.0s (http 429, retry-after from the server)"
        );
    }

    #[tokio::test]
    async fn report_every_emits_on_each_interval_of_the_injected_clock() {
        let clock = crate::time::ManualClock::new(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        let time = clock.time_source(crate::time::FixedJitter(0.0));
        let status = Status::new();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&lines);
        let ticker = report_every(&time, Duration::from_secs(10), &status, move |at, line| {
            seen.lock().unwrap().push((at, line))
        });
        let three_lines = async {
            while lines.lock().unwrap().len() < 3 {
                tokio::task::yield_now().await;
            }
        };
        tokio::select! {
            _ = ticker => unreachable!("the ticker never ends"),
            _ = three_lines => {}
        }
        let lines = lines.lock().unwrap();
        let at: Vec<u64> = lines.iter().map(|(at, _)| at.as_secs()).collect();
        assert_eq!(at[..3], [10, 20, 30]);
        assert_eq!(
            lines[0].1,
            "no job submitted yet; 0 pages fetched; no retries"
        );
        assert_eq!(clock.sleeps()[0], Duration::from_secs(10));
    }
}
