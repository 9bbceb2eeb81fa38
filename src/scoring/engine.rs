//! The scoring computation: normalise each KPI over the cohort, combine by weight, rank.

use super::cohort::Cohort;
use super::config::{Direction, MissingPolicy, Normalization, ScoringConfig};
use super::ids::StrategyIds;
use super::results::Scores;
use super::sort::{Pair, sort_by_value};
use crate::error::{Error, ErrorKind};

/// Scores every row of `cohort` under `config`, as SCORING.md specifies.
///
/// Results come back in input order; [`Scores::ranked`] gives the sorted view. A metric the
/// config names but the cohort lacks is missing in every row.
///
/// # Errors
/// - [`ErrorKind::Config`] when the config is invalid (see [`ScoringConfig::validate`]);
///   nothing is computed.
/// - [`ErrorKind::Scoring`] under [`MissingPolicy::Reject`] when any row lacks any KPI: the
///   message names every such row and metric.
///
/// # Example
/// ```
/// use genesys_routing_eval::scoring::{score, Cohort, ScoringConfig};
/// let mut cohort = Cohort::new();
/// cohort.push("Bullseye", [("handledCalls", 120.0), ("avgSpeedOfAnswer", 5.0), ("abandonedCalls", 3.0)]);
/// cohort.push("Standard", [("handledCalls", 80.0), ("avgSpeedOfAnswer", 120.0), ("abandonedCalls", 9.0)]);
/// let scores = score(&ScoringConfig::default(), &cohort)?;
/// assert_eq!(scores.get(0).unwrap().score, Some(1.0));
/// assert_eq!(scores.ranked()[0].strategy_id, "Bullseye");
/// # Ok::<(), genesys_routing_eval::Error>(())
/// ```
pub fn score(config: &ScoringConfig, cohort: &Cohort) -> Result<Scores, Error> {
    config.validate()?;
    let ids = cohort.shared_ids();
    let columns: Vec<Option<&[f64]>> = config.metrics().map(|m| cohort.column(m)).collect();
    let rows = ids.len();
    if config.missing == MissingPolicy::Reject {
        reject_missing(config, &columns, &ids)?;
    }
    let mut normalized = vec![f64::NAN; rows * config.kpis.len()];
    let mut weighted = vec![0.0_f64; rows];
    let mut present_weight = vec![0.0_f64; rows];
    let mut scratch = Scratch::default();
    let kpi_columns = normalized.chunks_exact_mut(rows.max(1));
    for ((kpi, values), column) in config.kpis.iter().zip(&columns).zip(kpi_columns) {
        let mut sums = WeightSums {
            weight: kpi.weight,
            weighted: &mut weighted,
            present: &mut present_weight,
        };
        match values {
            Some(values) => match config.normalization {
                Normalization::MinMax => min_max(values, kpi.direction, column, &mut sums),
                Normalization::Rank => {
                    rank(values, kpi.direction, column, &mut scratch);
                    for (i, &n) in column.iter().enumerate() {
                        sums.add(i, n);
                    }
                }
            },
            None => column.fill(f64::NAN),
        }
    }
    let total_weight: f64 = config.kpis.iter().map(|k| k.weight).sum();
    let mut scores = weighted;
    let mut coverage = present_weight;
    for (s, c) in scores.iter_mut().zip(coverage.iter_mut()) {
        *s = match config.missing {
            MissingPolicy::Worst => *s / total_weight,
            MissingPolicy::Renormalize | MissingPolicy::Reject if *c > 0.0 => *s / *c,
            MissingPolicy::Renormalize | MissingPolicy::Reject => f64::NAN,
        };
        *c /= total_weight;
    }
    let percentile = percentile_ranks(&scores, &mut scratch);
    Ok(Scores::new(
        config.kpis.clone(),
        ids,
        scores,
        coverage,
        percentile,
        normalized,
    ))
}

fn is_present(v: f64) -> bool {
    v.is_finite()
}

/// Running per-row sums of `weight * n` and of `weight` over the KPIs present so far.
struct WeightSums<'a> {
    weight: f64,
    weighted: &'a mut [f64],
    present: &'a mut [f64],
}

impl WeightSums<'_> {
    #[inline]
    fn add(&mut self, row: usize, n: f64) {
        if !n.is_nan() {
            self.weighted[row] += self.weight * n;
            self.present[row] += self.weight;
        }
    }
}

/// Min-max onto 0..1, flipped where lower is better; 0.5 for all when every present value is
/// equal; NaN where missing. Adds each row's value into `sums` in the same pass.
fn min_max(values: &[f64], direction: Direction, out: &mut [f64], sums: &mut WeightSums<'_>) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in values.iter().filter(|v| is_present(**v)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    // Halving keeps the span finite when the values straddle most of the f64 range.
    let scale = if (hi - lo).is_finite() { 1.0 } else { 0.5 };
    let span = hi * scale - lo * scale;
    let flip = direction == Direction::LowerIsBetter;
    let normalize = |v: f64| {
        if !is_present(v) {
            f64::NAN
        } else if hi == lo {
            0.5
        } else {
            let n = (v * scale - lo * scale) / span;
            if flip { 1.0 - n } else { n }
        }
    };
    for (i, (o, &v)) in out.iter_mut().zip(values).enumerate() {
        let n = normalize(v);
        *o = n;
        sums.add(i, n);
    }
}

/// Average-tie rank onto 0..1 (`(r - 1) / (m - 1)`), flipped where lower is better; 0.5 for
/// all when fewer than two values or all equal; NaN where missing.
fn rank(values: &[f64], direction: Direction, out: &mut [f64], scratch: &mut Scratch) {
    out.fill(f64::NAN);
    let sorted = scratch.sorted_present(values);
    let m = sorted.len();
    let all_equal = m > 0 && sorted[0].0 == sorted[m - 1].0;
    let flip = direction == Direction::LowerIsBetter;
    for_each_tie_group(sorted, |group, average_rank| {
        let n = if m < 2 || all_equal {
            0.5
        } else {
            let n = (average_rank - 1.0) / (m as f64 - 1.0);
            if flip { 1.0 - n } else { n }
        };
        for &(_, i) in group {
            out[i as usize] = n;
        }
    });
}

/// pandas `rank(pct=True, method="average")` over the scored (non-NaN) rows; NaN elsewhere.
fn percentile_ranks(scores: &[f64], scratch: &mut Scratch) -> Vec<f64> {
    let mut out = vec![f64::NAN; scores.len()];
    let sorted = scratch.sorted_present(scores);
    let scored = sorted.len() as f64;
    for_each_tie_group(sorted, |group, average_rank| {
        let pct = average_rank / scored;
        for &(_, i) in group {
            out[i as usize] = pct;
        }
    });
    out
}

/// Buffers for ranking, reused across the KPIs and the percentile ranks.
#[derive(Default)]
struct Scratch {
    pairs: Vec<Pair>,
    spare: Vec<Pair>,
}

impl Scratch {
    /// The present values and their row indices, ascending.
    fn sorted_present(&mut self, values: &[f64]) -> &[Pair] {
        self.pairs.clear();
        self.pairs.reserve(values.len());
        self.pairs.extend(
            values
                .iter()
                .enumerate()
                .filter(|(_, v)| is_present(**v))
                // +0.0 turns -0.0 into 0.0, so equal values sort and tie as equal.
                .map(|(i, &v)| (v + 0.0, i as u32)),
        );
        sort_by_value(&mut self.pairs, &mut self.spare);
        &self.pairs
    }
}

/// Calls `f` with each run of equal values in sorted `items` and its average 1-based rank.
fn for_each_tie_group(items: &[Pair], mut f: impl FnMut(&[Pair], f64)) {
    let mut start = 0;
    while start < items.len() {
        let value = items[start].0;
        let end = start + items[start..].iter().take_while(|x| x.0 == value).count();
        // The mean of the 1-based positions start+1..=end; exact in f64, as pandas computes it.
        let average_rank = (start + 1 + end) as f64 / 2.0;
        f(&items[start..end], average_rank);
        start = end;
    }
}

fn reject_missing(
    config: &ScoringConfig,
    columns: &[Option<&[f64]>],
    ids: &StrategyIds,
) -> Result<(), Error> {
    let mut offences = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let missing: Vec<&str> = config
            .kpis
            .iter()
            .zip(columns)
            .filter(|(_, col)| !col.is_some_and(|c| is_present(c[i])))
            .map(|(k, _)| k.metric.as_str())
            .collect();
        if !missing.is_empty() {
            offences.push(format!("row {i} (`{id}`): {}", missing.join(", ")));
        }
    }
    if offences.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::Scoring,
        format!(
            "{} row(s) lack KPIs under the `reject` missing policy; supply them or use `renormalize` or `worst`: {}",
            offences.len(),
            offences.join("; ")
        ),
    ))
}
