//! The metric table: what a source measured, per strategy and per time bucket, kept as raw
//! additive counts and sums so that KPIs can be derived exactly after merging.
//!
//! Sources (aggregates jobs, the strategies facade, or your own data) produce a
//! [`MetricTable`]; KPI derivation turns it into per-strategy values for scoring. Counts and
//! sums add across buckets and window chunks; averages and rates are derived only afterwards,
//! never averaged.

use serde::{Deserialize, Serialize};

mod compact;
mod table;

pub(crate) use compact::CompactCounts;
pub(crate) use table::Row;
pub use table::{Bucket, BucketRef, MetricTable, StrategyMetrics, StrategyRef};

/// A weighted mean kept as its parts, for sources that report averages rather than sums
/// (the strategies facade reports `avgSpeedOfAnswer` per bucket).
///
/// The mean is `weighted_sum / weight`; where every weight is 0 it falls back to the plain
/// mean `plain_sum / samples`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeanParts {
    /// Sum of `value * weight`.
    pub weighted_sum: f64,
    /// Sum of weights.
    pub weight: f64,
    /// Sum of values, unweighted.
    pub plain_sum: f64,
    /// Number of values.
    pub samples: u64,
}

impl MeanParts {
    /// One observed `value` carrying `weight`.
    pub fn of(value: f64, weight: f64) -> Self {
        MeanParts {
            weighted_sum: value * weight,
            weight,
            plain_sum: value,
            samples: 1,
        }
    }

    /// Adds another set of parts.
    pub fn add(&mut self, other: &MeanParts) {
        self.weighted_sum += other.weighted_sum;
        self.weight += other.weight;
        self.plain_sum += other.plain_sum;
        self.samples = self.samples.saturating_add(other.samples);
    }
}

/// Raw counts and sums for one strategy over one bucket, or merged over many.
///
/// Every field is optional: `None` means the source reported nothing for it, which is not the
/// same as 0 (Genesys leaves a metric out of a bucket where it had no events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCounts {
    /// Interactions offered to a queue (`nOffered.count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<u64>,
    /// Interactions answered (`tAnswered.count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered: Option<u64>,
    /// Total time to answer, in milliseconds (`tAnswered.sum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_time_ms: Option<f64>,
    /// Interactions abandoned (`tAbandon.count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abandoned: Option<u64>,
    /// Interactions handled (`tHandle.count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled: Option<u64>,
    /// Total handle time, in milliseconds (`tHandle.sum`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle_time_ms: Option<f64>,
    /// Interactions answered within the service-level target (`oServiceLevel` numerator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_met: Option<f64>,
    /// Interactions counted for service level (`oServiceLevel` denominator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_level_total: Option<f64>,
    /// Interactions transferred (`nTransferred.count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred: Option<u64>,
    /// Speed of answer in seconds, as reported averages weighted by handled calls (the
    /// strategies facade, which has no sums).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_speed_of_answer: Option<MeanParts>,
}

/// Addition that cannot panic on server-sent values: counts saturate at `u64::MAX` (an
/// overflowing sum of counts is nonsense either way), sums follow IEEE 754.
trait Total: Copy {
    fn plus(self, other: Self) -> Self;
}

impl Total for u64 {
    fn plus(self, other: u64) -> u64 {
        self.saturating_add(other)
    }
}

impl Total for f64 {
    fn plus(self, other: f64) -> f64 {
        self + other
    }
}

fn add_opt<T: Total>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.plus(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl RawCounts {
    /// Adds `other` into `self`, field by field; a field present on either side is present.
    pub fn add(&mut self, other: &RawCounts) {
        self.offered = add_opt(self.offered, other.offered);
        self.answered = add_opt(self.answered, other.answered);
        self.answer_time_ms = add_opt(self.answer_time_ms, other.answer_time_ms);
        self.abandoned = add_opt(self.abandoned, other.abandoned);
        self.handled = add_opt(self.handled, other.handled);
        self.handle_time_ms = add_opt(self.handle_time_ms, other.handle_time_ms);
        self.service_level_met = add_opt(self.service_level_met, other.service_level_met);
        self.service_level_total = add_opt(self.service_level_total, other.service_level_total);
        self.transferred = add_opt(self.transferred, other.transferred);
        self.reported_speed_of_answer = match (
            self.reported_speed_of_answer,
            other.reported_speed_of_answer,
        ) {
            (Some(mut a), Some(b)) => {
                a.add(&b);
                Some(a)
            }
            (a, None) => a,
            (None, b) => b,
        };
    }
}

/// One key performance indicator derived from [`RawCounts`], named as scoring configs and
/// reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kpi {
    /// `offered`: interactions offered (`nOffered.count`).
    Offered,
    /// `answered`: interactions answered (`tAnswered.count`).
    Answered,
    /// `handledCalls`: interactions handled (`tHandle.count`, or the facade's `handledCalls`).
    HandledCalls,
    /// `abandonedCalls`: interactions abandoned (`tAbandon.count`).
    AbandonedCalls,
    /// `avgSpeedOfAnswer`: seconds, `tAnswered.sum / tAnswered.count` (or the facade's
    /// averages weighted by handled calls).
    AvgSpeedOfAnswer,
    /// `avgHandleTime`: seconds, `tHandle.sum / tHandle.count`.
    AvgHandleTime,
    /// `abandonRate`: `tAbandon.count / nOffered.count`.
    AbandonRate,
    /// `serviceLevel`: `oServiceLevel` numerator / denominator.
    ServiceLevel,
    /// `transferRate`: `nTransferred.count / tAnswered.count`.
    TransferRate,
}

impl Kpi {
    /// Every KPI, in the order reports list them.
    pub const ALL: [Kpi; 9] = [
        Kpi::Offered,
        Kpi::Answered,
        Kpi::HandledCalls,
        Kpi::AbandonedCalls,
        Kpi::AvgSpeedOfAnswer,
        Kpi::AvgHandleTime,
        Kpi::AbandonRate,
        Kpi::ServiceLevel,
        Kpi::TransferRate,
    ];

    /// The KPI's name, as scoring configs and reports spell it (`avgSpeedOfAnswer`).
    pub fn name(self) -> &'static str {
        match self {
            Kpi::Offered => "offered",
            Kpi::Answered => "answered",
            Kpi::HandledCalls => "handledCalls",
            Kpi::AbandonedCalls => "abandonedCalls",
            Kpi::AvgSpeedOfAnswer => "avgSpeedOfAnswer",
            Kpi::AvgHandleTime => "avgHandleTime",
            Kpi::AbandonRate => "abandonRate",
            Kpi::ServiceLevel => "serviceLevel",
            Kpi::TransferRate => "transferRate",
        }
    }

    /// Whether the KPI counts interactions (offered, answered, handled, abandoned): a whole
    /// number, written as an integer in JSON and CSV.
    pub fn is_count(self) -> bool {
        matches!(
            self,
            Kpi::Offered | Kpi::Answered | Kpi::HandledCalls | Kpi::AbandonedCalls
        )
    }

    /// The value of this KPI as JSON and CSV write it: a count as an integer (`1234`, not
    /// `1234.0`), anything else in shortest round-trip form.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::metrics::Kpi;
    /// assert_eq!(Kpi::Offered.format_value(1234.0), "1234");
    /// assert_eq!(Kpi::AbandonRate.format_value(0.25), "0.25");
    /// ```
    pub fn format_value(self, value: f64) -> String {
        match self.as_count(value) {
            Some(n) => n.to_string(),
            None => serde_json::Number::from_f64(value)
                .map_or_else(|| value.to_string(), |n| n.to_string()),
        }
    }

    /// `value` as an integer when this KPI is a count and `value` is a whole number in range.
    pub(crate) fn as_count(self, value: f64) -> Option<u64> {
        // `u64::MAX as f64` rounds up to 2^64, which is out of range: compare with `<`.
        (self.is_count() && value >= 0.0 && value < u64::MAX as f64 && value.fract() == 0.0)
            .then_some(value as u64)
    }

    /// The KPI with this name, if it is one of ours.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::metrics::Kpi;
    /// assert_eq!(Kpi::from_name("abandonRate"), Some(Kpi::AbandonRate));
    /// assert_eq!(Kpi::from_name("nope"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Kpi> {
        Kpi::ALL.into_iter().find(|k| k.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for Kpi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The KPIs of one strategy, derived from its counts merged over every bucket and chunk.
///
/// A KPI is missing (`None`) when the counts it needs were not reported or its denominator is
/// zero; it is never NaN or infinite. Counts and sums are added before anything is divided,
/// so the KPIs of a merged table equal those of one query over the whole window.
///
/// Two conventions, both from how Genesys reports: an absent *numerator* beside a present,
/// positive denominator counts as zero events (Genesys leaves out a metric with no events, so
/// 40 offered and no `tAbandon` is an abandon rate of 0), and likewise an absent event count
/// (answered, handled, abandoned) of a strategy that was offered interactions is 0; and an average prefers the
/// aggregates sums (`tAnswered.sum / tAnswered.count`), falling back to the strategies
/// facade's reported averages weighted by handled calls.
///
/// # Example
/// ```
/// use genesys_routing_eval::metrics::{Kpi, Kpis, RawCounts};
/// let counts = RawCounts {
///     offered: Some(40),
///     answered: Some(30),
///     answer_time_ms: Some(300_000.0),
///     abandoned: Some(10),
///     ..RawCounts::default()
/// };
/// let kpis = Kpis::from_counts(&counts);
/// assert_eq!(kpis.get(Kpi::AvgSpeedOfAnswer), Some(10.0));
/// assert_eq!(kpis.by_name("abandonRate"), Some(0.25));
/// assert_eq!(kpis.get(Kpi::AvgHandleTime), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Kpis {
    values: [Option<f64>; 9],
}

impl Kpis {
    /// Derives every KPI from counts already merged over buckets (see [`StrategyRef::totals`]).
    pub fn from_counts(counts: &RawCounts) -> Kpis {
        let mut kpis = Kpis::default();
        // An absent count was not measured (the source layer already turned a requested
        // metric that Genesys left out for having no events into 0), so it stays absent.
        let count = |c: Option<u64>| c.map(|n| n as f64);
        kpis.set(Kpi::Offered, count(counts.offered));
        kpis.set(Kpi::Answered, count(counts.answered));
        kpis.set(Kpi::HandledCalls, count(counts.handled));
        kpis.set(Kpi::AbandonedCalls, count(counts.abandoned));
        kpis.set(Kpi::AvgSpeedOfAnswer, speed_of_answer(counts));
        kpis.set(
            Kpi::AvgHandleTime,
            mean_seconds(counts.handle_time_ms, counts.handled),
        );
        kpis.set(
            Kpi::AbandonRate,
            rate(count(counts.abandoned), count(counts.offered)),
        );
        kpis.set(
            Kpi::ServiceLevel,
            rate(counts.service_level_met, counts.service_level_total),
        );
        kpis.set(
            Kpi::TransferRate,
            rate(count(counts.transferred), count(counts.answered)),
        );
        kpis
    }

    /// Derives every KPI of one strategy of a table, over all its buckets.
    pub fn of_strategy(strategy: StrategyRef<'_>) -> Kpis {
        Kpis::from_counts(&strategy.totals())
    }

    /// The value of `kpi`, or `None` when it is missing.
    pub fn get(&self, kpi: Kpi) -> Option<f64> {
        self.values[kpi.index()]
    }

    /// The value of the KPI named `name` (`avgSpeedOfAnswer`, ...); `None` when the name is not
    /// a KPI or the value is missing.
    pub fn by_name(&self, name: &str) -> Option<f64> {
        Kpi::from_name(name).and_then(|k| self.get(k))
    }

    /// Every KPI with its value, in [`Kpi::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Kpi, Option<f64>)> + '_ {
        Kpi::ALL.into_iter().map(|k| (k, self.get(k)))
    }

    /// Sets `kpi`; a non-finite value is stored as missing.
    pub fn set(&mut self, kpi: Kpi, value: Option<f64>) {
        self.values[kpi.index()] = value.filter(|v| v.is_finite());
    }
}

impl Serialize for Kpis {
    /// Serialises as a map from KPI name to number, `null` where missing.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Kpi::ALL.len()))?;
        for (kpi, value) in self.iter() {
            map.serialize_entry(kpi.name(), &KpiValue(kpi, value))?;
        }
        map.end()
    }
}

/// One KPI's value as JSON: counts as integers, `null` where missing.
pub(crate) struct KpiValue(pub(crate) Kpi, pub(crate) Option<f64>);

impl Serialize for KpiValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.1 {
            None => serializer.serialize_none(),
            Some(v) => match self.0.as_count(v) {
                Some(n) => serializer.serialize_u64(n),
                None => serializer.serialize_f64(v),
            },
        }
    }
}

/// `numerator / denominator` where the denominator is present and positive; an absent
/// numerator there is zero events.
fn rate(numerator: Option<f64>, denominator: Option<f64>) -> Option<f64> {
    // An unmeasured numerator is no rate at all, never a rate of 0.
    let d = denominator.filter(|d| *d > 0.0)?;
    Some(numerator? / d)
}

/// A millisecond sum over a count of events, in seconds.
fn mean_seconds(sum_ms: Option<f64>, count: Option<u64>) -> Option<f64> {
    let n = count.filter(|n| *n > 0)?;
    Some(sum_ms? / n as f64 / 1000.0)
}

fn speed_of_answer(counts: &RawCounts) -> Option<f64> {
    mean_seconds(counts.answer_time_ms, counts.answered)
        .or_else(|| counts.reported_speed_of_answer.and_then(|p| p.mean()))
}

impl MeanParts {
    /// The mean: weighted where the weights add to more than 0, plain otherwise; `None` with no
    /// samples.
    pub fn mean(&self) -> Option<f64> {
        let mean = if self.weight > 0.0 {
            self.weighted_sum / self.weight
        } else if self.samples > 0 {
            self.plain_sum / self.samples as f64
        } else {
            return None;
        };
        Some(mean).filter(|m| m.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_counts_keeps_absent_fields_absent() {
        let mut a = RawCounts {
            offered: Some(10),
            answered: Some(8),
            ..RawCounts::default()
        };
        a.add(&RawCounts {
            offered: Some(5),
            abandoned: Some(2),
            ..RawCounts::default()
        });
        assert_eq!(a.offered, Some(15));
        assert_eq!(a.answered, Some(8));
        assert_eq!(a.abandoned, Some(2));
        assert_eq!(a.handled, None);
    }
}
