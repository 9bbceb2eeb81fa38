//! A contender's results: the cells taking part, coverage, the pooled view, and the estimate
//! over them, for every KPI in two passes over the cells.
//! The verdict waits for Holm's adjustment over the whole comparison.

use super::estimate::{Estimate, Pair, Sums, estimate, square};
use super::grid::{ByRank, CellCounts};
use super::kpi::{ComparisonKpi, KpiKind};
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

/// The part of `kpi` a cell holds (`None`, `None` where the strategy has no row in it).
fn part(cell: Option<&RawCounts>, kpi: ComparisonKpi) -> Part {
    cell.map_or((None, None), |c| kpi.parts(c))
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

/// What one KPI gathers in the pass over the cells.
struct Running {
    kpi: ComparisonKpi,
    contender: Totals,
    baseline: Totals,
    /// The sums of the cells where both take part.
    sums: Sums,
    /// Their denominators summed, contender's and baseline's (from +0.0: an empty `sum` of
    /// floats is -0.0, which would print as `-0`).
    volumes: (f64, f64),
}

impl Running {
    fn new(kpi: ComparisonKpi) -> Self {
        Running {
            kpi,
            contender: Totals::default(),
            baseline: Totals::default(),
            sums: Sums::default(),
            volumes: (0.0, 0.0),
        }
    }

    /// Adds one cell: the contender's counts in it and the baseline's.
    fn add(&mut self, contender: Option<&RawCounts>, baseline: Option<&RawCounts>) {
        let (c, b) = (part(contender, self.kpi), part(baseline, self.kpi));
        self.contender.add(c);
        self.baseline.add(b);
        if let Some(p) = pair(c, b) {
            self.volumes.0 += p.n1;
            self.volumes.1 += p.n0;
            self.sums.add(&p);
        }
    }

    /// Whether both strategies have the KPI's numerator and denominator in some cell.
    fn measured(&self) -> bool {
        self.contender.measured && self.baseline.measured
    }
}

/// The results for `contender` against `baseline` on each of `kpis` (in that order), before
/// Holm (`p_adjusted` and the verdict are filled in by [`super::verdict::decide`]); a KPI is
/// left out when either strategy never has its numerator and denominator.
///
/// The cells are read twice whatever the number of KPIs, where the table keeps them (not
/// copied): once for every sum, and once more for the means' spread, which is taken around
/// the difference the first pass gives. Each pass reads every KPI of a cell at once, so that
/// the table goes through the cache twice, not once or twice per KPI.
pub(crate) fn results<C: CellCounts>(
    contender_id: &str,
    contender: &ByRank<'_, C>,
    baseline: &ByRank<'_, C>,
    kpis: &[ComparisonKpi],
    alpha: f64,
    power: f64,
) -> Vec<ComparisonResult> {
    let mut running: Vec<Running> = kpis.iter().map(|&kpi| Running::new(kpi)).collect();
    for (c, b) in contender.iter().zip(baseline.iter()) {
        let (c, b) = (c.map(C::whole), b.map(C::whole));
        for r in &mut running {
            r.add(c.as_deref(), b.as_deref());
        }
    }
    let squares = mean_squares(contender, baseline, &running);
    running
        .iter()
        .zip(squares)
        .filter(|(r, _)| r.measured())
        .map(|(r, squares)| result(contender_id, r, squares, alpha, power))
        .collect()
}

/// Each KPI's sum of [`square`]s around its difference (0 where none is needed: a rate, a
/// KPI not measured, fewer than two cells), in one pass over the cells for every mean.
fn mean_squares<C: CellCounts>(
    contender: &ByRank<'_, C>,
    baseline: &ByRank<'_, C>,
    running: &[Running],
) -> Vec<f64> {
    let means: Vec<(usize, ComparisonKpi, f64)> = running
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kpi.kind() == KpiKind::Mean && r.measured() && r.sums.cells() >= 2)
        .filter_map(|(at, r)| Some((at, r.kpi, r.sums.difference()?)))
        .collect();
    let mut squares = vec![0.0; running.len()];
    if means.is_empty() {
        return squares;
    }
    for (c, b) in contender.iter().zip(baseline.iter()) {
        let (c, b) = (c.map(C::whole), b.map(C::whole));
        for &(at, kpi, difference) in &means {
            if let Some(p) = pair(part(c.as_deref(), kpi), part(b.as_deref(), kpi)) {
                squares[at] += square(&p, difference);
            }
        }
    }
    squares
}

/// The result of one KPI from what the passes gathered.
fn result(
    contender_id: &str,
    r: &Running,
    squares: f64,
    alpha: f64,
    power: f64,
) -> ComparisonResult {
    let (kpi, sums) = (r.kpi, &r.sums);
    let (v1, v0) = r.volumes;
    let coverage = |v: f64, all: f64| (all > 0.0).then(|| v / all);
    let pooled_difference = match (r.contender.pooled_value(), r.baseline.pooled_value()) {
        (Some(a), Some(b)) => Some(a - b),
        _ => None,
    };
    let e: Estimate = estimate(kpi.kind(), sums, squares, alpha, power);
    let spread = e.spread;
    ComparisonResult {
        contender: contender_id.to_owned(),
        kpi,
        kind: kpi.kind(),
        direction: kpi.direction(),
        cells: sums.cells() as u64,
        contender_volume: whole(v1),
        baseline_volume: whole(v0),
        contender_coverage: coverage(v1, r.contender.denominator),
        baseline_coverage: coverage(v0, r.baseline.denominator),
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
    }
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
