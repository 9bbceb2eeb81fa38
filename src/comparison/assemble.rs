//! One result: the cells taking part, coverage, the pooled view, and the estimate over them.
//! The verdict waits for Holm's adjustment over the whole comparison.

use super::columns::Part;
use super::estimate::{Estimate, Pair, estimate};
use super::kpi::ComparisonKpi;
use super::output::{ComparisonResult, Verdict};

/// What one strategy has for one KPI over all its cells.
#[derive(Debug, Default)]
struct Totals {
    /// Numerator and denominator both present in at least one cell.
    measured: bool,
    /// Denominator summed where present and > 0, numerator or not (coverage's base).
    denominator: f64,
    /// Numerator and denominator summed where both are present and the denominator > 0.
    pooled: Option<(f64, f64)>,
}

impl Totals {
    fn of(cells: &[Part]) -> Totals {
        let mut totals = Totals::default();
        for &Part { x, n, .. } in cells {
            totals.measured |= x.is_some() && n.is_some();
            let Some(n) = n.filter(|n| *n > 0.0) else {
                continue;
            };
            totals.denominator += n;
            if let Some(x) = x {
                let (sx, sn) = totals.pooled.get_or_insert((0.0, 0.0));
                *sx += x;
                *sn += n;
            }
        }
        totals
    }

    fn pooled_value(&self) -> Option<f64> {
        self.pooled.map(|(x, n)| x / n)
    }
}

/// The part of a KPI a cell contributes, when it takes part (numerator present, denominator
/// present and > 0).
fn usable(part: &Part) -> Option<(f64, f64)> {
    match (part.x, part.n) {
        (Some(x), Some(n)) if n > 0.0 => Some((x, n)),
        _ => None,
    }
}

/// The cells where both strategies take part, merged by rank.
fn pairs(contender: &[Part], baseline: &[Part]) -> Vec<Pair> {
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < contender.len() && j < baseline.len() {
        let (c, b) = (&contender[i], &baseline[j]);
        match c.rank.cmp(&b.rank) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                if let (Some((x1, n1)), Some((x0, n0))) = (usable(c), usable(b)) {
                    out.push(Pair { x1, n1, x0, n0 });
                }
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The result for `contender` against `baseline` on `kpi`, before Holm (`p_adjusted` and
/// the verdict are filled in by [`super::verdict::decide`]); `None` when either strategy
/// never has the KPI's numerator and denominator.
pub(crate) fn result(
    contender_id: &str,
    contender: &[Part],
    baseline: &[Part],
    kpi: ComparisonKpi,
    alpha: f64,
    power: f64,
) -> Option<ComparisonResult> {
    let (t1, t0) = (Totals::of(contender), Totals::of(baseline));
    if !t1.measured || !t0.measured {
        return None;
    }
    let cells = pairs(contender, baseline);
    // A fold from +0.0: an empty `sum` of floats is -0.0, which would print as `-0`.
    let volume = |side: fn(&Pair) -> f64| cells.iter().map(side).fold(0.0, |a, b| a + b);
    let (v1, v0) = (volume(|p| p.n1), volume(|p| p.n0));
    let coverage = |v: f64, all: f64| (all > 0.0).then(|| v / all);
    let pooled_difference = match (t1.pooled_value(), t0.pooled_value()) {
        (Some(a), Some(b)) => Some(a - b),
        _ => None,
    };
    let e: Estimate = estimate(kpi.kind(), &cells, alpha, power);
    let spread = e.spread;
    Some(ComparisonResult {
        contender: contender_id.to_owned(),
        kpi,
        kind: kpi.kind(),
        direction: kpi.direction(),
        cells: cells.len() as u64,
        contender_volume: whole(v1),
        baseline_volume: whole(v0),
        contender_coverage: coverage(v1, t1.denominator),
        baseline_coverage: coverage(v0, t0.denominator),
        contender_adjusted: e.contender_adjusted,
        baseline_adjusted: e.baseline_adjusted,
        difference: e.difference,
        relative_difference: e.relative_difference,
        standard_error: spread.map(|s| s.standard_error),
        df: spread.and_then(|s| s.df),
        ci_low: spread.map(|s| s.ci_low),
        ci_high: spread.map(|s| s.ci_high),
        p_value: spread.map(|s| s.p_value),
        p_adjusted: None,
        minimum_detectable_difference: spread.map(|s| s.minimum_detectable_difference),
        verdict: Verdict::InsufficientData,
        pooled_difference,
        pooled_disagrees: match (pooled_difference, spread) {
            (Some(d), Some(s)) => Some(d < s.ci_low || d > s.ci_high),
            _ => None,
        },
        reversal: false,
    })
}

/// A volume as the whole number it is (denominators are counts; `serviceLevelTotal` arrives
/// as a float).
fn whole(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v.round() as u64
    } else {
        0
    }
}
