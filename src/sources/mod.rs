//! Where routing performance comes from: the aggregates jobs API ([`aggregates`], the real
//! Genesys API and the default) and the tutorial's strategies facade ([`strategies`]).
//!
//! Both turn what they fetch into one [`MetricTable`], so everything downstream is shared.
//! What they share here: the [`SourceRun`] they return, the job poll schedule and the
//! cursor-paged results stream.

pub mod aggregates;
pub mod strategies;

use std::future::Future;
use std::time::Duration;

use futures_util::Stream;

use crate::config::PollPolicy;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::MetricTable;
use crate::progress::{Progress, ProgressEvent};
use crate::time::TimeSource;

/// Routing method values Genesys reports in `usedRouting`, `requestedRouting` and
/// `activeRouting` (the API reference's list; new values appear over time, so an id outside it
/// is not refused). Values are case-sensitive: a filter on `bullseye` matches nothing.
pub const ROUTING_METHODS: &[&str] = &[
    "Bullseye",
    "Conditional",
    "Direct",
    "Last",
    "Manual",
    "Predictive",
    "Preferred",
    "Standard",
    "Vip",
];

/// Dimensions whose values are routing methods ([`ROUTING_METHODS`]).
pub const ROUTING_DIMENSIONS: &[&str] = &["usedRouting", "requestedRouting", "activeRouting"];

/// The routing method `id` spells but for case (`Bullseye` for `bullseye`); `None` when `id`
/// is one exactly, or no routing method at all.
///
/// # Example
/// ```
/// use genesys_routing_eval::sources::routing_method_for;
/// assert_eq!(routing_method_for("bullseye"), Some("Bullseye"));
/// assert_eq!(routing_method_for("Bullseye"), None);
/// assert_eq!(routing_method_for("queue-7"), None);
/// ```
pub fn routing_method_for(id: &str) -> Option<&'static str> {
    ROUTING_METHODS
        .iter()
        .copied()
        .find(|m| *m != id && m.eq_ignore_ascii_case(id))
}

/// What one job produced: its metric table and the id the server gave the job.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SourceRun {
    /// The job's results, per strategy and bucket.
    pub table: MetricTable,
    /// The server's job id.
    pub job_id: String,
}

/// Waits between job polls as a [`PollPolicy`] says, reading time from the injected clock so
/// that a deadline passes in tests that never really sleep.
pub(crate) struct PollSchedule {
    policy: PollPolicy,
    time: TimeSource,
    started: Duration,
    polls: u32,
}

impl PollSchedule {
    pub(crate) fn start(policy: PollPolicy, time: TimeSource) -> Self {
        let started = time.clock.elapsed();
        PollSchedule {
            policy,
            time,
            started,
            polls: 0,
        }
    }

    /// Sleeps until the next poll is due; `false` once the deadline has passed. The last wait
    /// is shortened so that one poll happens at the deadline itself.
    pub(crate) async fn wait(&mut self) -> bool {
        let spent = self.time.clock.elapsed().saturating_sub(self.started);
        if spent >= self.policy.deadline {
            return false;
        }
        self.polls += 1;
        let wait = self
            .policy
            .interval(self.polls)
            .min(self.policy.deadline - spent);
        self.time.sleeper.sleep(wait).await;
        true
    }

    /// The deadline, for messages.
    pub(crate) fn deadline(&self) -> Duration {
        self.policy.deadline
    }
}

/// Polls a job as `policy` says until `check` reports it done (`Ok(Some(_))`) or failed
/// (`Err`); once the deadline passes, the error `on_deadline(deadline)`. Both sources wait for
/// their jobs this way; `check` requests the status and reports it.
pub(crate) async fn poll_until<T, E, F, Fut>(
    policy: PollPolicy,
    time: TimeSource,
    on_deadline: impl FnOnce(Duration) -> E,
    mut check: F,
) -> std::result::Result<T, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<Option<T>, E>>,
{
    let mut schedule = PollSchedule::start(policy, time);
    loop {
        if !schedule.wait().await {
            return Err(on_deadline(schedule.deadline()));
        }
        if let Some(done) = check().await? {
            return Ok(done);
        }
    }
}

/// Every page of a cursor-paged listing, fetched one at a time as the stream is polled.
///
/// `fetch(cursor)` returns a page and the next cursor; the stream ends when no cursor (or an
/// empty one) comes back, and fails if the server repeats a cursor, which would never end.
pub(crate) fn cursor_pages<P, F, Fut>(fetch: F) -> impl Stream<Item = Result<P>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(P, Option<String>)>>,
{
    let start: Option<Option<String>> = Some(None);
    futures_util::stream::try_unfold((fetch, start), |(mut fetch, next)| async move {
        let Some(cursor) = next else {
            return Ok(None);
        };
        let (page, following) = fetch(cursor.clone()).await?;
        let following = next_cursor(cursor.as_deref(), following)?;
        Ok(Some((page, (fetch, following.map(Some)))))
    })
}

/// The cursor of the page after the one fetched with `current`: none when the server sent
/// none or an empty one.
///
/// # Errors
/// [`ErrorKind::Decode`] when the server repeated `current`, which would page forever.
pub(crate) fn next_cursor(
    current: Option<&str>,
    following: Option<String>,
) -> Result<Option<String>> {
    let following = following.filter(|c| !c.is_empty());
    if following.is_some() && following.as_deref() == current {
        return Err(Error::new(
            ErrorKind::Decode,
            "the server repeated a results cursor; paging stopped to avoid an endless loop",
        ));
    }
    Ok(following)
}

/// `{jobs_path}/{job_id}`, or its `/results`, on the client's API host; the job id is one
/// percent-encoded path segment whatever the server put in it.
pub(crate) fn job_url(
    client: &crate::Client,
    jobs_path: &str,
    job_id: &str,
    results: bool,
) -> url::Url {
    let mut url = client.api_url(jobs_path);
    {
        let mut segments = url.path_segments_mut().expect("http urls have paths");
        segments.push(job_id);
        if results {
            segments.push("results");
        }
    }
    url
}

/// `url` asking for the results page after `cursor` (the first page without one).
pub(crate) fn with_cursor(mut url: url::Url, cursor: Option<&str>) -> url::Url {
    if let Some(cursor) = cursor {
        url.query_pairs_mut().append_pair("cursor", cursor);
    }
    url
}

/// Every results page at `results_url`, fetched by cursor as the stream is polled and decoded
/// as `what`; `cursor_of` reads the next cursor off a page. Both job APIs page this way.
pub(crate) fn job_pages<P>(
    client: crate::Client,
    results_url: url::Url,
    what: &'static str,
    cursor_of: fn(&P) -> Option<String>,
) -> impl Stream<Item = Result<P>> + Send + 'static
where
    P: serde::de::DeserializeOwned + Send + 'static,
{
    cursor_pages(move |cursor: Option<String>| {
        let client = client.clone();
        let url = with_cursor(results_url.clone(), cursor.as_deref());
        async move {
            let page: P = client.get_json(url, what).await?;
            let cursor = cursor_of(&page);
            Ok((page, cursor))
        }
    })
}

/// Fetches every results page at `results_url` by cursor, one at a time, handing each raw
/// response to `read` (which returns the page's row count and next cursor) and reporting
/// each page; both sources' `run` page through their results this way, so that a page can be
/// decoded straight into a table and only one raw body is held at a time.
///
/// # Errors
/// The first error of a request or of `read`; [`ErrorKind::Decode`] when the server repeats a
/// cursor.
pub(crate) async fn read_pages<F>(
    client: &crate::Client,
    results_url: &url::Url,
    job_id: &str,
    progress: &Progress,
    mut read: F,
) -> Result<()>
where
    F: FnMut(crate::http::Response) -> Result<(usize, Option<String>)>,
{
    let mut cursor: Option<String> = None;
    for page in 1.. {
        let response = client
            .get(with_cursor(results_url.clone(), cursor.as_deref()))
            .await?;
        let (rows, following) = read(response)?;
        let following = next_cursor(cursor.as_deref(), following)?;
        progress.emit(ProgressEvent::PageFetched {
            job_id: job_id.to_owned(),
            page,
            rows,
        });
        match following {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{FixedJitter, ManualClock};
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn poll_schedule_stops_at_the_deadline_with_exact_waits() {
        let clock = ManualClock::new(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
        let policy = PollPolicy::default().with_deadline(Duration::from_secs(5));
        let mut schedule = PollSchedule::start(policy, clock.time_source(FixedJitter(1.0)));
        let mut polls = 0;
        while schedule.wait().await {
            polls += 1;
        }
        assert_eq!(polls, 5);
        let ms: Vec<u128> = clock.sleeps().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![500, 750, 1125, 1687, 937]);
    }

    #[tokio::test]
    async fn cursor_pages_follow_cursors_until_none() {
        let pages: Vec<u32> = cursor_pages(|cursor: Option<String>| async move {
            Ok(match cursor.as_deref() {
                None => (1, Some("a".to_owned())),
                Some("a") => (2, Some("b".to_owned())),
                _ => (3, Some(String::new())),
            })
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(pages, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn cursor_pages_refuse_a_repeated_cursor() {
        let result: Result<Vec<u32>> =
            cursor_pages(|_cursor| async { Ok((1, Some("same".to_owned()))) })
                .try_collect()
                .await;
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Decode);
    }
}
