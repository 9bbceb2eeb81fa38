//! How sure a ranking is: sample size and Wilson intervals, kept beside the score.

use serde::{Deserialize, Serialize};

use crate::metrics::RawCounts;

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// A proportion with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Interval {
    /// The observed proportion, `successes / trials`.
    pub estimate: f64,
    /// Lower bound, in 0..=1.
    pub lower: f64,
    /// Upper bound, in 0..=1.
    pub upper: f64,
    /// The denominator the interval rests on.
    pub trials: f64,
}

impl Interval {
    /// The 95% Wilson score interval of `successes` out of `trials`; `None` without trials.
    /// Successes are clamped into `0..=trials`.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::scoring::Interval;
    /// let i = Interval::wilson(10.0, 40.0).unwrap();
    /// assert_eq!(i.estimate, 0.25);
    /// assert!(i.lower < 0.25 && 0.25 < i.upper);
    /// ```
    pub fn wilson(successes: f64, trials: f64) -> Option<Interval> {
        if !(trials > 0.0 && trials.is_finite() && successes.is_finite()) {
            return None;
        }
        let p = (successes / trials).clamp(0.0, 1.0);
        let z2 = Z95 * Z95;
        let denom = 1.0 + z2 / trials;
        let centre = (p + z2 / (2.0 * trials)) / denom;
        let half = Z95 * (p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)).sqrt() / denom;
        Some(Interval {
            estimate: p,
            lower: (centre - half).max(0.0),
            upper: (centre + half).min(1.0),
            trials,
        })
    }
}

/// How much data one strategy's score rests on. Never changes a score or a percentile rank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Confidence {
    /// Offered interactions; where the source reports no offered count (the strategies
    /// facade), handled plus abandoned. `None` when neither is known.
    pub sample_size: Option<u64>,
    /// Whether the sample is below the configured minimum (or unknown).
    pub low_confidence: bool,
    /// Abandon rate (`abandoned / offered`) with its 95% Wilson interval.
    pub abandon_rate: Option<Interval>,
    /// Service level (`oServiceLevel` numerator / denominator) with its 95% Wilson interval.
    pub service_level: Option<Interval>,
}

impl Confidence {
    /// The confidence of counts merged over every bucket, flagged low under `min_offered`
    /// (use [`ScoringConfig::min_offered`](super::ScoringConfig::min_offered)).
    ///
    /// Like the KPIs, an absent numerator beside a positive denominator counts as 0 events.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::metrics::RawCounts;
    /// use genesys_routing_eval::scoring::Confidence;
    /// let counts = RawCounts { offered: Some(12), abandoned: Some(3), ..RawCounts::default() };
    /// let c = Confidence::from_counts(&counts, 30);
    /// assert_eq!(c.sample_size, Some(12));
    /// assert!(c.low_confidence);
    /// assert_eq!(c.abandon_rate.unwrap().estimate, 0.25);
    /// ```
    pub fn from_counts(counts: &RawCounts, min_offered: u64) -> Confidence {
        let sample_size = counts.offered.or(match (counts.handled, counts.abandoned) {
            (None, None) => None,
            (h, a) => Some(h.unwrap_or(0) + a.unwrap_or(0)),
        });
        let abandon_rate = counts.offered.and_then(|offered| {
            Interval::wilson(counts.abandoned.unwrap_or(0) as f64, offered as f64)
        });
        let service_level = counts
            .service_level_total
            .and_then(|total| Interval::wilson(counts.service_level_met.unwrap_or(0.0), total));
        Confidence {
            sample_size,
            low_confidence: sample_size.is_none_or(|n| n < min_offered),
            abandon_rate,
            service_level,
        }
    }
}
