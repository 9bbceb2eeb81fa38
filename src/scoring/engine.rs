//! The scoring computation: normalise each KPI over the cohort, combine by weight, rank.

use super::cohort::Cohort;
use super::config::{Direction, MissingPolicy, Normalization, ScoringConfig};
use super::ids::StrategyIds;
use super::ranking::Ranker;
use super::results::{Scores, total_weight};
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
    // Column-major, one column per KPI. Every element is written below; fresh zeroed memory
    // costs no pass of its own.
    let mut normalized = vec![0.0_f64; rows * config.kpis.len()];
    let mut ranker = Ranker::default();
    let kpi_columns = normalized.chunks_exact_mut(rows.max(1));
    for ((kpi, values), column) in config.kpis.iter().zip(&columns).zip(kpi_columns) {
        match values {
            Some(values) => match config.normalization {
                Normalization::MinMax => min_max(values, kpi.direction, column),
                Normalization::Rank => rank(values, kpi.direction, column, &mut ranker),
            },
            None => column.fill(f64::NAN),
        }
    }
    let scores = combine(config, &normalized, rows);
    let percentile = percentile_ranks(&scores, &mut ranker);
    Ok(Scores::new(
        config.kpis.clone(),
        ids,
        scores,
        percentile,
        normalized,
    ))
}

fn is_present(v: f64) -> bool {
    v.is_finite()
}

/// Each row's score from its normalised KPI values (column-major, `rows` per column), in one
/// pass over the rows: the weighted sum and the weight of the KPIs present, added in config
/// order. (Coverage, the weight present over the total, is derived the same way by
/// [`Scores`].)
fn combine(config: &ScoringConfig, normalized: &[f64], rows: usize) -> Vec<f64> {
    let total_weight = total_weight(&config.kpis);
    let columns: Vec<(&[f64], f64)> = normalized
        .chunks_exact(rows.max(1))
        .zip(&config.kpis)
        .map(|(column, kpi)| (column, kpi.weight))
        .collect();
    // Filled in place rather than pushed, so the loop keeps its sums in registers.
    let mut scores = vec![0.0; rows];
    for (row, score) in scores.iter_mut().enumerate() {
        let (mut weighted, mut present) = (0.0_f64, 0.0_f64);
        for &(column, weight) in &columns {
            let n = column[row];
            if !n.is_nan() {
                weighted += weight * n;
                present += weight;
            }
        }
        *score = match config.missing {
            MissingPolicy::Worst => weighted / total_weight,
            MissingPolicy::Renormalize | MissingPolicy::Reject if present > 0.0 => {
                weighted / present
            }
            MissingPolicy::Renormalize | MissingPolicy::Reject => f64::NAN,
        };
    }
    scores
}

/// Min-max onto 0..1, flipped where lower is better; 0.5 for all when every present value is
/// equal; NaN where missing.
fn min_max(values: &[f64], direction: Direction, out: &mut [f64]) {
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
    for (o, &v) in out.iter_mut().zip(values) {
        *o = normalize(v);
    }
}

/// Average-tie rank onto 0..1 (`(r - 1) / (m - 1)`), flipped where lower is better; 0.5 for
/// all when fewer than two values or all equal; NaN where missing.
fn rank(values: &[f64], direction: Direction, out: &mut [f64], ranker: &mut Ranker) {
    out.fill(f64::NAN);
    let ranked = ranker.sort(values);
    let m = ranked.len();
    let all_equal = ranked.all_equal();
    let flip = direction == Direction::LowerIsBetter;
    ranked.for_each_tie_group(|rows, average_rank| {
        let n = if m < 2 || all_equal {
            0.5
        } else {
            let n = (average_rank - 1.0) / (m as f64 - 1.0);
            if flip { 1.0 - n } else { n }
        };
        for row in rows.iter() {
            out[row] = n;
        }
    });
}

/// pandas `rank(pct=True, method="average")` over the scored (non-NaN) rows; NaN elsewhere.
fn percentile_ranks(scores: &[f64], ranker: &mut Ranker) -> Vec<f64> {
    // Fresh zeroed memory: unscored rows are marked first (when there are any), then every
    // scored row is written.
    let mut out = vec![0.0; scores.len()];
    let ranked = ranker.sort(scores);
    let scored = ranked.len() as f64;
    if ranked.len() < scores.len() {
        for (o, &s) in out.iter_mut().zip(scores) {
            if !is_present(s) {
                *o = f64::NAN;
            }
        }
    }
    ranked.for_each_tie_group(|rows, average_rank| {
        let pct = average_rank / scored;
        for row in rows.iter() {
            out[row] = pct;
        }
    });
    out
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
