//! ISO-8601 periods (`P1D`, `PT30M`, `P1M`) and intervals (`start/end`, `start/P7D`), stepped
//! in a time zone so that a day is a local calendar day.

use chrono::{DateTime, Days, Months, TimeZone, Utc};
use chrono_tz::Tz;

/// An ISO-8601 period: calendar months and days (local), then exact seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) months: u32,
    pub(crate) days: u64,
    pub(crate) seconds: u64,
}

impl Period {
    /// Parses `PnYnMnWnDTnHnMnS` (integers only).
    pub(crate) fn parse(text: &str) -> Option<Period> {
        let rest = text.strip_prefix('P')?;
        let (date, time) = match rest.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return None,
            None => (rest, None),
        };
        let mut period = Period {
            months: 0,
            days: 0,
            seconds: 0,
        };
        let mut any = false;
        for (n, unit) in units(date)? {
            any = true;
            match unit {
                'Y' => period.months += u32::try_from(n.checked_mul(12)?).ok()?,
                'M' => period.months += u32::try_from(n).ok()?,
                'W' => period.days += n.checked_mul(7)?,
                'D' => period.days += n,
                _ => return None,
            }
        }
        if let Some(time) = time {
            for (n, unit) in units(time)? {
                any = true;
                let scale = match unit {
                    'H' => 3600,
                    'M' => 60,
                    'S' => 1,
                    _ => return None,
                };
                period.seconds += n.checked_mul(scale)?;
            }
        }
        (any && !period.is_zero()).then_some(period)
    }

    fn is_zero(&self) -> bool {
        self.months == 0 && self.days == 0 && self.seconds == 0
    }

    /// Whether the period is shorter than `seconds` (months and days counted at their
    /// shortest).
    pub(crate) fn shorter_than(&self, seconds: u64) -> bool {
        self.months == 0 && self.days == 0 && self.seconds < seconds
    }

    /// `at + self`, adding months and days on the local calendar of `zone`.
    pub(crate) fn add_to(&self, at: DateTime<Utc>, zone: Tz) -> Option<DateTime<Utc>> {
        let mut local = at.with_timezone(&zone).naive_local();
        if self.months > 0 {
            local = local.checked_add_months(Months::new(self.months))?;
        }
        if self.days > 0 {
            local = local.checked_add_days(Days::new(self.days))?;
        }
        let moved = if self.months > 0 || self.days > 0 {
            // A local time that a DST change skips is taken at its earliest valid instant.
            zone.from_local_datetime(&local)
                .earliest()
                .or_else(|| {
                    zone.from_local_datetime(&(local + chrono::Duration::hours(1)))
                        .earliest()
                })?
                .with_timezone(&Utc)
        } else {
            at
        };
        moved.checked_add_signed(chrono::Duration::seconds(i64::try_from(self.seconds).ok()?))
    }
}

/// Splits `3D12H` into `[(3, 'D'), (12, 'H')]`.
fn units(text: &str) -> Option<Vec<(u64, char)>> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            if digits.is_empty() {
                return None;
            }
            out.push((digits.parse().ok()?, c));
            digits.clear();
        }
    }
    digits.is_empty().then_some(out)
}

/// Parses an ISO-8601 interval `start/end` or `start/period`, times in UTC unless they
/// carry a zone or offset.
///
/// # Errors
/// A one-line reason, as the real API would give it.
pub(crate) fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let Some((start, end)) = text.split_once('/') else {
        return Err(format!(
            "Invalid interval `{text}`: expected ISO-8601 start/end, e.g. 2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"
        ));
    };
    let start = parse_instant(start)
        .ok_or_else(|| format!("Invalid interval start `{start}`: expected an ISO-8601 date-time, e.g. 2024-05-01T00:00:00.000Z"))?;
    let end = if end.starts_with('P') {
        Period::parse(end)
            .and_then(|p| p.add_to(start, Tz::UTC))
            .ok_or_else(|| format!("Invalid interval period `{end}`"))?
    } else {
        parse_instant(end).ok_or_else(|| format!("Invalid interval end `{end}`: expected an ISO-8601 date-time, e.g. 2024-05-08T00:00:00.000Z"))?
    };
    if start >= end {
        return Err(format!(
            "Invalid interval `{text}`: the start must be before the end"
        ));
    }
    Ok((start, end))
}

/// An ISO-8601 date-time; without a zone or offset it is UTC, as the API documents intervals
/// such as `YYYY-MM-DDThh:mm:ss/YYYY-MM-DDThh:mm:ss`.
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
        .map(|t| t.and_utc())
}

/// Formats an instant as Genesys does in intervals: `2024-05-01T00:00:00.000Z`.
pub(crate) fn format_instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `start/end` as Genesys formats bucket intervals.
pub(crate) fn format_interval(start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!("{}/{}", format_instant(start), format_instant(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_periods() {
        assert_eq!(
            Period::parse("P1D"),
            Some(Period {
                months: 0,
                days: 1,
                seconds: 0
            })
        );
        assert_eq!(
            Period::parse("PT30M"),
            Some(Period {
                months: 0,
                days: 0,
                seconds: 1800
            })
        );
        assert_eq!(
            Period::parse("P1Y2M1WT1H"),
            Some(Period {
                months: 14,
                days: 7,
                seconds: 3600
            })
        );
        for bad in [
            "", "P", "PT", "1D", "P1", "PD", "P0D", "P1DT", "P1.5D", "P1H",
        ] {
            assert_eq!(Period::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_local_day_follows_daylight_saving() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let start = "2024-03-10T05:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let next = Period::parse("P1D").unwrap().add_to(start, zone).unwrap();
        assert_eq!(
            next,
            "2024-03-11T04:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn intervals_need_order_and_times() {
        assert!(parse_interval("2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z").is_ok());
        assert_eq!(
            parse_interval("2024-05-01T00:00:00/2024-05-08T00:00:00"),
            parse_interval("2024-05-01T00:00:00Z/2024-05-08T00:00:00Z"),
        );
        assert!(parse_interval("2024-05-01T00:00:00+02:00/P1D").is_ok());
        assert!(parse_interval("2024-05-08T00:00:00Z/2024-05-01T00:00:00Z").is_err());
        assert!(parse_interval("2024-05-01/2024-05-08").is_err());
        assert!(parse_interval("2024-05-01T00:00:00Z").is_err());
    }
}
