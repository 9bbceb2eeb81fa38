//! The comparison's result, in `COMPARISON.md`'s JSON form (camelCase fields, nulls kept).

use serde::{Deserialize, Serialize};

use super::config::CellMatch;
use super::kpi::{ComparisonKpi, KpiKind};
use crate::scoring::Direction;

/// A whole comparison: the design, the baseline, and one result per contender and KPI.
///
/// Serialises to the contract's object: `{"treatment", "within", "match", "baseline",
/// "alpha", "power", "results"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Comparison {
    /// The dimension whose values are the strategies (`usedRouting`).
    pub treatment: String,
    /// The dimensions a cell holds fixed besides its time key.
    pub within: Vec<String>,
    /// The cell's time key.
    #[serde(rename = "match")]
    pub cell_match: CellMatch,
    /// The baseline every contender is compared with.
    pub baseline: String,
    /// The significance level.
    pub alpha: f64,
    /// The power of the minimum detectable difference.
    pub power: f64,
    /// Contenders by total offered (descending, then id), KPIs in [`ComparisonKpi::ALL`]'s
    /// order.
    pub results: Vec<ComparisonResult>,
}

impl Comparison {
    /// Whether any result is a `reversal`: the pooled view points the other way, so a
    /// ranking of pooled KPIs is confounded by traffic mix.
    pub fn has_reversal(&self) -> bool {
        self.results.iter().any(|r| r.reversal)
    }
}

/// What the data says about one contender against the baseline on one KPI.
///
/// Every `Option` is `null` in JSON when the figure is not defined (see `COMPARISON.md`):
/// adjusted values and differences when no cell takes part; the standard error and all that
/// rests on it when it is unavailable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ComparisonResult {
    /// The contender.
    pub contender: String,
    /// The KPI.
    pub kpi: ComparisonKpi,
    /// Rate or mean.
    pub kind: KpiKind,
    /// Which way is better.
    pub direction: Direction,
    /// Cells taking part (both strategies have a denominator > 0 and the numerator).
    pub cells: u64,
    /// The contender's denominator over the cells taking part.
    pub contender_volume: u64,
    /// The baseline's denominator over the cells taking part.
    pub baseline_volume: u64,
    /// `contender_volume` over the contender's denominator in all its cells.
    pub contender_coverage: Option<f64>,
    /// `baseline_volume` over the baseline's denominator in all its cells.
    pub baseline_coverage: Option<f64>,
    /// The contender's value, weighted to the shared cells (a share, or seconds).
    pub contender_adjusted: Option<f64>,
    /// The baseline's value, weighted the same way.
    pub baseline_adjusted: Option<f64>,
    /// `contender_adjusted - baseline_adjusted`.
    pub difference: Option<f64>,
    /// `difference / baseline_adjusted` (null when that is 0).
    pub relative_difference: Option<f64>,
    /// The difference's standard error.
    pub standard_error: Option<f64>,
    /// Degrees of freedom of the t reference (means only).
    pub df: Option<u64>,
    /// Lower end of the 95% interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci_high: Option<f64>,
    /// Two-sided p-value of "no difference".
    pub p_value: Option<f64>,
    /// The p-value after Holm's adjustment over the whole comparison.
    pub p_adjusted: Option<f64>,
    /// The smallest true difference this data detects at `alpha` with `power`.
    pub minimum_detectable_difference: Option<f64>,
    /// The conclusion.
    pub verdict: Verdict,
    /// The naive difference of pooled values, for contrast.
    pub pooled_difference: Option<f64>,
    /// Whether the pooled difference lies outside the interval.
    pub pooled_disagrees: Option<bool>,
    /// The verdict is decisive and the pooled difference has the opposite sign.
    pub reversal: bool,
}

/// The conclusion of one result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// `contender_better`: significant after Holm, in the KPI's better direction.
    ContenderBetter,
    /// `baseline_better`: significant after Holm, in the KPI's worse direction.
    BaselineBetter,
    /// `inconclusive`: not significant after Holm.
    Inconclusive,
    /// `insufficient_data`: the standard error is unavailable.
    InsufficientData,
}

impl Verdict {
    /// The verdict's JSON name (`contender_better`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::ContenderBetter => "contender_better",
            Verdict::BaselineBetter => "baseline_better",
            Verdict::Inconclusive => "inconclusive",
            Verdict::InsufficientData => "insufficient_data",
        }
    }

    /// Whether the verdict picks a side.
    pub fn is_decisive(self) -> bool {
        matches!(self, Verdict::ContenderBetter | Verdict::BaselineBetter)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
