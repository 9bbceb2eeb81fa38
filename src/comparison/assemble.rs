//! One result: the cells taking part, coverage, the pooled view, and the estimate over them.
//! The verdict waits for Holm's adjustment over the whole comparison.

use super::estimate::{Estimate, Pair, Sums, estimate};
use super::grid::ByRank;
use super::kpi::ComparisonKpi;
use super::output::{ComparisonResult, Verdict};
use crate::metrics::RawCounts;

/// A KPI's numerator and denominator in one cell (each `None` when not measured).
type Part = (Option<f64>, Option<f64>);

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
    /// Adds one cell's part.
    fn add(&mut self, (x, n): Part) {
        self.measured |= x.is_some() && n.is_some();
        let Some(n) = n.filter(|n| *n > 0.0) else {
            return;
        };
        self.denominator += n;
        if let Some(x) = x {
            let (sx, sn) = self.pooled.get_or_insert((0.0, 0.0));
            *sx += x;
            *sn += n;
        }
    }

    fn pooled_value(&self) -> Option<f64> {
        self.pooled.map(|(x, n)| x / n)
    }
}

/// The parts of `kpi` a strategy has, cell by cell in rank order.
fn parts<'a>(cells: &'a ByRank<'_>, kpi: ComparisonKpi) -> impl Iterator<Item = Part> + 'a {
    cells
        .iter()
        .map(move |c| c.map_or((None, None), |c: &RawCounts| kpi.parts(c)))
}

/// The part of a KPI a cell contributes, when it takes part (numerator present, denominator
/// present and > 0).
fn usable((x, n): Part) -> Option<(f64, f64)> {
    match (x, n) {
        (Some(x), Some(n)) if n > 0.0 => Some((x, n)),
        _ => None,
    }
}

/// The cell where both strategies take part, if they do.
fn pair(c: Part, b: Part) -> Option<Pair> {
    match (usable(c), usable(b)) {
        (Some((x1, n1)), Some((x0, n0))) => Some(Pair { x1, n1, x0, n0 }),
        _ => None,
    }
}

/// The cells where both strategies take part, in rank order.
fn pairs<'a>(
    contender: &'a ByRank<'_>,
    baseline: &'a ByRank<'_>,
    kpi: ComparisonKpi,
) -> impl Iterator<Item = Pair> + 'a {
    parts(contender, kpi)
        .zip(parts(baseline, kpi))
        .filter_map(|(c, b)| pair(c, b))
}

/// The result for `contender` against `baseline` on `kpi`, before Holm (`p_adjusted` and
/// the verdict are filled in by [`super::verdict::decide`]); `None` when either strategy
/// never has the KPI's numerator and denominator.
pub(crate) fn result(
    contender_id: &str,
    contender: &ByRank<'_>,
    baseline: &ByRank<'_>,
    kpi: ComparisonKpi,
    alpha: f64,
    power: f64,
) -> Option<ComparisonResult> {
    // One pass over the cells in rank order gathers every sum (a mean's spread reads the
    // pairs once more): the counts are read where the table keeps them, not copied.
    let (mut t1, mut t0) = (Totals::default(), Totals::default());
    let mut sums = Sums::default();
    // From +0.0: an empty `sum` of floats is -0.0, which would print as `-0`.
    let (mut v1, mut v0) = (0.0, 0.0);
    for (c, b) in parts(contender, kpi).zip(parts(baseline, kpi)) {
        t1.add(c);
        t0.add(b);
        if let Some(p) = pair(c, b) {
            v1 += p.n1;
            v0 += p.n0;
            sums.add(&p);
        }
    }
    if !t1.measured || !t0.measured {
        return None;
    }
    let coverage = |v: f64, all: f64| (all > 0.0).then(|| v / all);
    let pooled_difference = match (t1.pooled_value(), t0.pooled_value()) {
        (Some(a), Some(b)) => Some(a - b),
        _ => None,
    };
    let e: Estimate = estimate(
        kpi.kind(),
        &sums,
        || pairs(contender, baseline, kpi),
        alpha,
        power,
    );
    let spread = e.spread;
    Some(ComparisonResult {
        contender: contender_id.to_owned(),
        kpi,
        kind: kpi.kind(),
        direction: kpi.direction(),
        cells: sums.cells() as u64,
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
