//! The five KPIs a comparison can test, with the counts each one reads.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ValidationError};
use crate::metrics::RawCounts;
use crate::scoring::Direction;

/// A KPI the comparison tests, named as `COMPARISON.md`'s table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ComparisonKpi {
    /// `abandonRate`: abandoned / offered, lower is better.
    AbandonRate,
    /// `serviceLevel`: service level met / counted, higher is better.
    ServiceLevel,
    /// `transferRate`: transferred / answered, lower is better.
    TransferRate,
    /// `avgSpeedOfAnswer`: answer time in seconds per answered interaction, lower is better.
    AvgSpeedOfAnswer,
    /// `avgHandleTime`: handle time in seconds per handled interaction, lower is better.
    AvgHandleTime,
}

/// Whether a KPI is a share of interactions or an average duration: it decides the variance
/// (Sato's for rates, the between-cell sandwich for means) and the reference distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum KpiKind {
    /// `rate`: a numerator counted among a denominator (normal reference).
    Rate,
    /// `mean`: a sum over a count (Student t reference with `cells - 1` degrees of freedom).
    Mean,
}

impl ComparisonKpi {
    /// Every KPI, in the order results list them.
    pub const ALL: [ComparisonKpi; 5] = [
        ComparisonKpi::AbandonRate,
        ComparisonKpi::ServiceLevel,
        ComparisonKpi::TransferRate,
        ComparisonKpi::AvgSpeedOfAnswer,
        ComparisonKpi::AvgHandleTime,
    ];

    /// The KPI's name (`abandonRate`).
    pub fn name(self) -> &'static str {
        match self {
            ComparisonKpi::AbandonRate => "abandonRate",
            ComparisonKpi::ServiceLevel => "serviceLevel",
            ComparisonKpi::TransferRate => "transferRate",
            ComparisonKpi::AvgSpeedOfAnswer => "avgSpeedOfAnswer",
            ComparisonKpi::AvgHandleTime => "avgHandleTime",
        }
    }

    /// Rate or mean.
    pub fn kind(self) -> KpiKind {
        match self {
            ComparisonKpi::AvgSpeedOfAnswer | ComparisonKpi::AvgHandleTime => KpiKind::Mean,
            _ => KpiKind::Rate,
        }
    }

    /// Which way is better.
    pub fn direction(self) -> Direction {
        match self {
            ComparisonKpi::ServiceLevel => Direction::HigherIsBetter,
            _ => Direction::LowerIsBetter,
        }
    }

    /// The numerator (a rate's count, a mean's sum in seconds) and the denominator this KPI
    /// reads from `counts`, each `None` when not measured.
    pub fn parts(self, counts: &RawCounts) -> (Option<f64>, Option<f64>) {
        let count = |v: Option<u64>| v.map(|n| n as f64);
        let seconds = |v: Option<f64>| v.map(|ms| ms / 1000.0);
        match self {
            ComparisonKpi::AbandonRate => (count(counts.abandoned), count(counts.offered)),
            ComparisonKpi::ServiceLevel => (counts.service_level_met, counts.service_level_total),
            ComparisonKpi::TransferRate => (count(counts.transferred), count(counts.answered)),
            ComparisonKpi::AvgSpeedOfAnswer => {
                (seconds(counts.answer_time_ms), count(counts.answered))
            }
            ComparisonKpi::AvgHandleTime => (seconds(counts.handle_time_ms), count(counts.handled)),
        }
    }

    /// The KPI named `name`, or a configuration error naming the nearest KPI.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when `name` is none of the five.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::comparison::ComparisonKpi;
    /// assert_eq!(ComparisonKpi::from_name("abandonRate")?, ComparisonKpi::AbandonRate);
    /// let err = ComparisonKpi::from_name("abandonrat").unwrap_err();
    /// assert!(err.to_string().contains("did you mean `abandonRate`"));
    /// # Ok::<(), genesys_routing_eval::Error>(())
    /// ```
    pub fn from_name(name: &str) -> Result<ComparisonKpi, Error> {
        ComparisonKpi::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| Error::invalid(unknown_kpi(name)))
    }
}

/// The problem of an unknown KPI name, with the nearest known name.
pub(crate) fn unknown_kpi(name: &str) -> ValidationError {
    let names = ComparisonKpi::ALL.map(ComparisonKpi::name);
    let near = crate::error::nearest(name, names).unwrap_or("abandonRate");
    ValidationError::Invalid {
        name: "kpi".into(),
        reason: format!(
            "`{name}` is not a comparison KPI; did you mean `{near}`? (known: {})",
            names.join(", ")
        ),
    }
}

impl fmt::Display for ComparisonKpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ComparisonKpi {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ComparisonKpi::from_name(s)
    }
}

impl fmt::Display for KpiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KpiKind::Rate => "rate",
            KpiKind::Mean => "mean",
        })
    }
}
