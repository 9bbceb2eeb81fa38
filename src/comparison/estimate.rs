//! The within-cell estimate of one contender against the baseline on one KPI: weighted
//! adjusted values, the difference, its standard error (Sato's for a rate, the between-cell
//! sandwich for a mean), interval, p-value and minimum detectable difference.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::kpi::KpiKind;

/// One cell taking part: the contender's and the baseline's numerator (a count or a sum in
/// seconds) and denominator, both denominators > 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pair {
    pub x1: f64,
    pub n1: f64,
    pub x0: f64,
    pub n0: f64,
}

/// What the cells taking part say.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Estimate {
    pub contender_adjusted: Option<f64>,
    pub baseline_adjusted: Option<f64>,
    pub difference: Option<f64>,
    pub relative_difference: Option<f64>,
    pub spread: Option<Spread>,
}

/// The estimate's uncertainty, present only when the standard error is available.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Spread {
    pub standard_error: f64,
    pub df: Option<u64>,
    pub ci_low: f64,
    pub ci_high: f64,
    pub p_value: f64,
    pub minimum_detectable_difference: f64,
}

/// What one pass over the cells taking part gathers, in rank order: their number, the
/// weighted adjusted values' sums (weights `w = n1 n0 / N`) and the sums of Sato's variance.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sums {
    cells: usize,
    weight: f64,
    contender: f64,
    baseline: f64,
    /// Sato's `P` and `Q`.
    p: f64,
    q: f64,
}

impl Sums {
    /// Adds one cell.
    pub(crate) fn add(&mut self, c: &Pair) {
        self.cells += 1;
        let w = weight_of(c);
        self.weight += w;
        self.contender += w * (c.x1 / c.n1);
        self.baseline += w * (c.x0 / c.n0);
        let n = c.n1 + c.n0;
        self.p +=
            (c.n1 * c.n1 * c.x0 - c.n0 * c.n0 * c.x1 + c.n1 * c.n0 * (c.n0 - c.n1) / 2.0) / (n * n);
        self.q += (c.x1 * (c.n0 - c.x0) + c.x0 * (c.n1 - c.x1)) / (2.0 * n);
    }

    /// How many cells take part.
    pub(crate) fn cells(&self) -> usize {
        self.cells
    }
}

impl Sums {
    /// The weighted difference of the adjusted values, once a cell takes part: what a mean's
    /// [`square`]s are taken around.
    pub(crate) fn difference(&self) -> Option<f64> {
        Point::of(self).map(|p| p.difference)
    }
}

/// One cell's term of a mean's sandwich variance, `w^2 (d - D)^2` around the weighted
/// `difference` `D`: summed in rank order over the cells taking part, in a second pass over
/// them (the difference is known only after the first).
pub(crate) fn square(c: &Pair, difference: f64) -> f64 {
    let w = weight_of(c);
    let d = c.x1 / c.n1 - c.x0 / c.n0 - difference;
    w * w * d * d
}

/// The estimate over the cells summed in `sums` for a KPI of `kind`, with the MDE at `alpha`
/// and `power`; `squares` is the sum of the cells' [`square`]s, which only a mean reads.
pub(crate) fn estimate(
    kind: KpiKind,
    sums: &Sums,
    squares: f64,
    alpha: f64,
    power: f64,
) -> Estimate {
    let Some(point) = Point::of(sums) else {
        return Estimate::default();
    };
    let spread = match kind {
        KpiKind::Rate => rate_spread(sums, &point, alpha, power),
        KpiKind::Mean => mean_spread(squares, sums.cells, &point, alpha, power),
    };
    Estimate {
        contender_adjusted: Some(point.contender),
        baseline_adjusted: Some(point.baseline),
        difference: Some(point.difference),
        relative_difference: (point.baseline != 0.0).then(|| point.difference / point.baseline),
        spread,
    }
}

/// The weighted adjusted values.
struct Point {
    weight: f64,
    contender: f64,
    baseline: f64,
    difference: f64,
}

impl Point {
    fn of(sums: &Sums) -> Option<Point> {
        if sums.cells == 0 {
            return None;
        }
        let (contender, baseline) = (sums.contender / sums.weight, sums.baseline / sums.weight);
        Some(Point {
            weight: sums.weight,
            contender,
            baseline,
            difference: contender - baseline,
        })
    }
}

fn weight_of(c: &Pair) -> f64 {
    c.n1 * c.n0 / (c.n1 + c.n0)
}

/// Sato's (1989) variance of the Mantel-Haenszel risk difference, with a normal reference.
fn rate_spread(sums: &Sums, point: &Point, alpha: f64, power: f64) -> Option<Spread> {
    let variance = (point.difference * sums.p + sums.q) / (point.weight * point.weight);
    let se = positive_sqrt(variance)?;
    let normal = Normal::new(0.0, 1.0).ok()?;
    let statistic = point.difference.abs() / se;
    let critical = normal.inverse_cdf(1.0 - alpha / 2.0);
    Some(Spread {
        standard_error: se,
        df: None,
        ci_low: point.difference - critical * se,
        ci_high: point.difference + critical * se,
        p_value: 2.0 * (1.0 - normal.cdf(statistic)),
        minimum_detectable_difference: (critical + normal.inverse_cdf(power)) * se,
    })
}

/// The cell-level sandwich variance of the weighted mean difference, with a t reference on
/// `K - 1` degrees of freedom: aggregates carry sums, not squares, so the spread between cells
/// is the evidence.
fn mean_spread(squares: f64, k: usize, point: &Point, alpha: f64, power: f64) -> Option<Spread> {
    if k < 2 {
        return None;
    }
    let k_f = k as f64;
    let variance = k_f / (k_f - 1.0) * squares / (point.weight * point.weight);
    let se = positive_sqrt(variance)?;
    let df = (k - 1) as u64;
    let t = StudentsT::new(0.0, 1.0, df as f64).ok()?;
    let critical = t.inverse_cdf(1.0 - alpha / 2.0);
    let statistic = point.difference.abs() / se;
    Some(Spread {
        standard_error: se,
        df: Some(df),
        ci_low: point.difference - critical * se,
        ci_high: point.difference + critical * se,
        p_value: 2.0 * t.sf(statistic),
        minimum_detectable_difference: (critical + t.inverse_cdf(power)) * se,
    })
}

/// `sqrt(v)` when `v > 0` (not NaN, not 0).
fn positive_sqrt(v: f64) -> Option<f64> {
    (v > 0.0 && v.is_finite()).then(|| v.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(actual: f64, expected: f64) -> f64 {
        ((actual - expected) / expected).abs()
    }

    /// statrs's quantiles and tails against values computed with mpmath at 40 digits (equal to
    /// R's `qnorm`, `qt`, `pnorm`, `pt` to the digits shown). Measured (docs/decisions.md):
    /// normal quantiles within 2e-16, the normal upper tail within 5e-11 (statrs's `erfc`),
    /// t quantiles and tails within 3e-13; the contract asks 1e-7 of what rests on them.
    #[test]
    // The references as mpmath printed them, 17 significant digits.
    #[allow(clippy::excessive_precision)]
    fn statrs_quantiles_and_tails_match_high_precision_references() {
        let normal = Normal::new(0.0, 1.0).unwrap();
        for (p, q) in [
            (0.975, 1.9599639845400542),
            (0.8, 0.84162123357291421),
            (0.995, 2.5758293035489008),
            (0.975, 1.959963984540054), // the contract's z for 95%
        ] {
            assert!(rel(normal.inverse_cdf(p), q) < 1e-15, "qnorm({p})");
        }
        assert!(rel(2.0 * (1.0 - normal.cdf(3.0)), 0.0026997960632601891) < 1e-10);
        for (df, q975, q80, q995) in [
            (
                1.0,
                12.706204736174705,
                1.3763819204711735,
                63.656741162871581,
            ),
            (
                11.0,
                2.2009851600916399,
                0.87552997807388145,
                3.105806515539281,
            ),
            (
                23.0,
                2.0686576104190487,
                0.85752955368803516,
                2.807335683769999,
            ),
            (
                79.0,
                1.9904502102301289,
                0.84619481051155932,
                2.6395046274532205,
            ),
        ] {
            let t = StudentsT::new(0.0, 1.0, df).unwrap();
            for (p, q) in [(0.975, q975), (0.8, q80), (0.995, q995)] {
                assert!(rel(t.inverse_cdf(p), q) < 1e-12, "qt({p}, {df})");
            }
        }
        let t = StudentsT::new(0.0, 1.0, 11.0).unwrap();
        assert!(rel(2.0 * t.sf(3.0), 0.012079839471921367) < 1e-12);
    }
}
