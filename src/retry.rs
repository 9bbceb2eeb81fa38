//! The one retry loop, the one status classification table and the one `Retry-After` parser.
//!
//! The Genesys HTTP core ([`crate::http`]) and the webhook sink ([`crate::sink::WebhookSink`])
//! both retry through [`retry_loop`]: a function generic over the attempt (an async closure
//! called once per attempt with its number), a [`RetryPolicy`], the injectable sleeper and
//! jitter of a [`TimeSource`], and a classifier that says whether an attempt's error may succeed
//! later and what wait the server asked for (after google-cloud-rust gax's `retry_loop`). Which
//! HTTP statuses are worth repeating is decided by [`status_retryable`] alone, for each kind of
//! call; [`crate::Error::is_retryable`] reads the same table.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::RetryPolicy;
use crate::time::TimeSource;

/// What a call may safely repeat, the columns of the classification table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallClass {
    /// A read (or a call the server treats as one): 408, 429, 502, 503 and 504 may pass later.
    Idempotent,
    /// A job submission: only where the server cannot have acted on it (429, 503).
    Submission,
    /// A webhook delivery: the receiver deduplicates by `webhook-id`, so 408, 429 and any 5xx.
    Delivery,
}

/// The one classification table: whether an answer with `status` may succeed if repeated.
pub(crate) fn status_retryable(status: u16, class: CallClass) -> bool {
    match class {
        CallClass::Idempotent => matches!(status, 408 | 429 | 502 | 503 | 504),
        CallClass::Submission => matches!(status, 429 | 503),
        CallClass::Delivery => matches!(status, 408 | 429 | 500..=599),
    }
}

/// Parses a `Retry-After` value as delta-seconds or an HTTP date (a date in the past means now).
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// The classifier's word on one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Whether repeating the attempt may succeed.
    pub(crate) retryable: bool,
    /// The wait the server asked for, if it did.
    pub(crate) retry_after: Option<Duration>,
}

/// Why [`retry_loop`] stopped repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GiveUp {
    /// The classifier said repeating cannot help.
    NotRetryable,
    /// The policy's attempts were used up.
    OutOfAttempts,
    /// The server asked for a wait beyond the policy's `Retry-After` ceiling.
    RetryAfterTooLong(Duration),
    /// The next wait would pass the policy's total deadline.
    Deadline,
}

/// The last attempt's error and why retrying stopped.
#[derive(Debug)]
pub(crate) struct Exhausted<E> {
    /// The last attempt's error.
    pub(crate) error: E,
    /// Attempts made, the first included.
    pub(crate) attempts: u32,
    /// Why no further attempt was made.
    pub(crate) why: GiveUp,
}

/// Calls `attempt` (with the attempt's number, from 1) until it succeeds or retrying is given
/// up. Between attempts it waits the server's `Retry-After` when the classifier reports one
/// (giving up beyond the policy's ceiling), else capped exponential backoff with full jitter;
/// `on_retry` sees the attempt number, the wait and the error before each wait.
pub(crate) async fn retry_loop<T, E, A, Fut, C, W>(
    policy: &RetryPolicy,
    time: &TimeSource,
    mut attempt: A,
    classify: C,
    mut on_retry: W,
) -> std::result::Result<T, Exhausted<E>>
where
    A: FnMut(u32) -> Fut,
    Fut: Future<Output = std::result::Result<T, E>>,
    C: Fn(&E) -> Verdict,
    W: FnMut(u32, Duration, &E),
{
    let started = time.clock.elapsed();
    let mut number: u32 = 0;
    loop {
        number += 1;
        let error = match attempt(number).await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let verdict = classify(&error);
        let give_up = if !verdict.retryable {
            Some(GiveUp::NotRetryable)
        } else if number >= policy.max_attempts {
            Some(GiveUp::OutOfAttempts)
        } else {
            None
        };
        let wait = match (give_up, verdict.retry_after) {
            (Some(why), _) => Err(why),
            (None, Some(asked)) if asked > policy.retry_after_ceiling => {
                Err(GiveUp::RetryAfterTooLong(asked))
            }
            (None, Some(asked)) => Ok(asked),
            (None, None) => Ok(time.jitter.full(policy.backoff_ceiling(number))),
        };
        let spent = time.clock.elapsed().saturating_sub(started);
        let wait = wait.and_then(|wait| {
            if spent.saturating_add(wait) > policy.total_deadline {
                Err(GiveUp::Deadline)
            } else {
                Ok(wait)
            }
        });
        let wait = match wait {
            Ok(wait) => wait,
            Err(why) => {
                return Err(Exhausted {
                    error,
                    attempts: number,
                    why,
                });
            }
        };
        on_retry(number, wait, &error);
        time.sleeper.sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{FixedJitter, ManualClock};
    use std::cell::Cell;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(4),
            retry_after_ceiling: Duration::from_secs(60),
            total_deadline: Duration::from_secs(600),
        }
    }

    #[test]
    fn the_table_separates_reads_submissions_and_deliveries() {
        let columns = |status| {
            (
                status_retryable(status, CallClass::Idempotent),
                status_retryable(status, CallClass::Submission),
                status_retryable(status, CallClass::Delivery),
            )
        };
        assert_eq!(columns(408), (true, false, true));
        assert_eq!(columns(429), (true, true, true));
        assert_eq!(columns(500), (false, false, true));
        assert_eq!(columns(502), (true, false, true));
        assert_eq!(columns(503), (true, true, true));
        assert_eq!(columns(400), (false, false, false));
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:42 GMT", now),
            Some(Duration::from_secs(42))
        );
        assert_eq!(
            parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[tokio::test]
    async fn backs_off_until_attempts_run_out_and_honours_the_ceiling() {
        let clock = ManualClock::new(Utc::now());
        let time = clock.time_source(FixedJitter(1.0));
        let calls = Cell::new(0);
        let out: std::result::Result<(), _> = retry_loop(
            &policy(4),
            &time,
            |_| {
                calls.set(calls.get() + 1);
                async { Err::<(), _>("busy") }
            },
            |_| Verdict {
                retryable: true,
                retry_after: None,
            },
            |_, _, _| {},
        )
        .await;
        let exhausted = out.unwrap_err();
        assert_eq!(
            (exhausted.attempts, exhausted.why),
            (4, GiveUp::OutOfAttempts)
        );
        assert_eq!(calls.get(), 4);
        let secs: Vec<_> = clock.sleeps().iter().map(Duration::as_secs).collect();
        assert_eq!(secs, vec![1, 2, 4]);

        let out: std::result::Result<(), _> = retry_loop(
            &policy(4),
            &time,
            |_| async { Err::<(), _>("later") },
            |_| Verdict {
                retryable: true,
                retry_after: Some(Duration::from_secs(61)),
            },
            |_, _, _| {},
        )
        .await;
        let why = out.unwrap_err().why;
        assert_eq!(why, GiveUp::RetryAfterTooLong(Duration::from_secs(61)));
    }
}
