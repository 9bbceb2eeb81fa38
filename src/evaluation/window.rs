//! The evaluation window: which instants are evaluated, and how a window longer than a
//! source's limit is split into consecutive chunks.

use chrono::{DateTime, Days, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// How the caller described the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowSpec {
    /// The `days` most recent complete days in the time zone, ending at today's midnight.
    LastDays(u32),
    /// An explicit half-open range `[from, to)`.
    Range {
        /// Start, inclusive.
        from: DateTime<Utc>,
        /// End, exclusive.
        to: DateTime<Utc>,
    },
}

/// A half-open range of instants `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Start, inclusive.
    pub from: DateTime<Utc>,
    /// End, exclusive.
    pub to: DateTime<Utc>,
}

impl Window {
    /// The window `spec` describes, read in `time_zone` at `now`.
    ///
    /// # Errors
    /// A [`ValidationError`] when the range is empty or reversed, ends after `now`
    /// ([`ValidationError::WindowInFuture`]), or `LastDays(0)`.
    pub fn resolve(
        spec: WindowSpec,
        time_zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Window, ValidationError> {
        match spec {
            WindowSpec::LastDays(0) => Err(ValidationError::Invalid {
                name: "days".into(),
                reason: "must be at least 1; pass the number of complete days to evaluate".into(),
            }),
            WindowSpec::LastDays(days) => Ok(Window::last_days(days, time_zone, now)),
            WindowSpec::Range { from, to } if from >= to => Err(ValidationError::WindowOrder {
                from: from.to_rfc3339(),
                to: to.to_rfc3339(),
            }),
            WindowSpec::Range { to, .. } if to > now => Err(ValidationError::WindowInFuture {
                to: to.to_rfc3339_opts(SecondsFormat::Secs, true),
                now: now.to_rfc3339_opts(SecondsFormat::Secs, true),
            }),
            WindowSpec::Range { from, to } => Ok(Window { from, to }),
        }
    }

    /// The `days` most recent complete days in `time_zone`, ending at today's local midnight.
    pub fn last_days(days: u32, time_zone: Tz, now: DateTime<Utc>) -> Window {
        let today = now.with_timezone(&time_zone).date_naive();
        let end = local_midnight(time_zone, today.and_hms_opt(0, 0, 0).expect("midnight"));
        let start_day = today - Days::new(u64::from(days));
        let start = local_midnight(time_zone, start_day.and_hms_opt(0, 0, 0).expect("midnight"));
        Window {
            from: start,
            to: end,
        }
    }

    /// Length in days, rounded up.
    pub fn days(&self) -> i64 {
        let secs = (self.to - self.from).num_seconds();
        (secs + 86_399).div_euclid(86_400)
    }

    /// The interval as Genesys wants it: `start/end`, ISO-8601 in UTC with milliseconds.
    pub fn to_interval(&self) -> String {
        crate::sources::aggregates::format_interval(self.from, self.to)
    }

    /// Consecutive chunks of at most `max_days` local days each that cover the window exactly.
    ///
    /// Chunk edges fall on the same local time of day as the window's start, so daily buckets
    /// in `time_zone` are never split between two chunks.
    pub fn chunks(&self, max_days: u32, time_zone: Tz) -> Vec<Window> {
        let max_days = u64::from(max_days.max(1));
        let local_start = self.from.with_timezone(&time_zone).naive_local();
        let mut chunks = Vec::new();
        let mut from = self.from;
        let mut k = 1u64;
        while from < self.to {
            let edge = local_start
                .checked_add_days(Days::new(k * max_days))
                .map(|local| local_midnight(time_zone, local))
                .unwrap_or(self.to);
            let to = edge.min(self.to);
            chunks.push(Window { from, to });
            from = to;
            k += 1;
        }
        chunks
    }
}

/// The instant of a local date-time, taking the earlier one in a DST fold and the first
/// valid instant after a DST gap.
fn local_midnight(time_zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    loop {
        if let Some(t) = time_zone.from_local_datetime(&probe).earliest() {
            return t.with_timezone(&Utc);
        }
        // A gap (no such local time): the next valid minute is the instant the day starts.
        probe += chrono::Duration::minutes(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn last_days_ends_at_todays_local_midnight() {
        let now = utc("2026-11-25T13:30:00Z");
        let w = Window::last_days(7, chrono_tz::UTC, now);
        assert_eq!(
            w.to_interval(),
            "2026-11-18T00:00:00.000Z/2026-11-25T00:00:00.000Z"
        );
        let berlin = Window::last_days(1, chrono_tz::Europe::Berlin, now);
        assert_eq!(berlin.from, utc("2026-11-23T23:00:00Z"));
        assert_eq!(berlin.to, utc("2026-11-24T23:00:00Z"));
    }

    #[test]
    fn a_45_day_window_splits_into_30_and_15_days() {
        let w = Window::last_days(45, chrono_tz::UTC, utc("2026-11-25T10:00:00Z"));
        let chunks = w.chunks(30, chrono_tz::UTC);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].days(), 30);
        assert_eq!(chunks[1].days(), 15);
        assert_eq!(chunks[0].from, w.from);
        assert_eq!(chunks[0].to, chunks[1].from);
        assert_eq!(chunks[1].to, w.to);
    }

    #[test]
    fn chunk_edges_stay_on_local_midnight_across_dst() {
        let tz = chrono_tz::Europe::Berlin;
        let w = Window::last_days(60, tz, utc("2026-11-25T10:00:00Z"));
        for c in w.chunks(30, tz) {
            let local = c.from.with_timezone(&tz);
            assert_eq!(local.format("%H:%M").to_string(), "00:00", "{c:?}");
        }
    }

    #[test]
    fn reversed_range_and_zero_days_are_refused() {
        let now = utc("2026-11-25T10:00:00Z");
        let reversed = WindowSpec::Range { from: now, to: now };
        assert!(matches!(
            Window::resolve(reversed, chrono_tz::UTC, now),
            Err(ValidationError::WindowOrder { .. })
        ));
        assert!(Window::resolve(WindowSpec::LastDays(0), chrono_tz::UTC, now).is_err());
    }

    #[test]
    fn a_range_ending_after_now_is_refused_and_one_ending_now_is_not() {
        let now = utc("2026-11-25T10:00:00Z");
        let from = utc("2026-11-20T00:00:00Z");
        let later = WindowSpec::Range {
            from,
            to: utc("2026-11-25T10:00:01Z"),
        };
        assert!(matches!(
            Window::resolve(later, chrono_tz::UTC, now),
            Err(ValidationError::WindowInFuture { .. })
        ));
        let until_now = WindowSpec::Range { from, to: now };
        assert!(Window::resolve(until_now, chrono_tz::UTC, now).is_ok());
    }

    #[test]
    fn a_window_within_the_limit_is_one_chunk() {
        let w = Window {
            from: utc("2026-01-01T00:00:00Z"),
            to: utc("2026-01-03T12:00:00Z"),
        };
        assert_eq!(w.chunks(30, chrono_tz::UTC), vec![w]);
        assert_eq!(w.days(), 3);
    }
}
