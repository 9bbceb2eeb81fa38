//! The conclusions: Holm over every p-value of the comparison, then each result's verdict and
//! reversal.

use super::holm::holm;
use super::output::{ComparisonResult, Verdict};
use crate::scoring::Direction;

/// Fills `p_adjusted`, `verdict` and `reversal` of every result.
pub(crate) fn decide(results: &mut [ComparisonResult], alpha: f64) {
    let with_p: Vec<usize> = (0..results.len())
        .filter(|&i| results[i].p_value.is_some())
        .collect();
    let raw: Vec<f64> = with_p.iter().filter_map(|&i| results[i].p_value).collect();
    for (i, adjusted) in with_p.into_iter().zip(holm(&raw)) {
        results[i].p_adjusted = Some(adjusted);
    }
    for r in results.iter_mut() {
        r.verdict = verdict(r, alpha);
        r.reversal = reversal(r);
    }
}

fn verdict(r: &ComparisonResult, alpha: f64) -> Verdict {
    let (Some(_), Some(p), Some(d)) = (r.standard_error, r.p_adjusted, r.difference) else {
        return Verdict::InsufficientData;
    };
    if p >= alpha {
        return Verdict::Inconclusive;
    }
    let better = match r.direction {
        Direction::LowerIsBetter => d < 0.0,
        Direction::HigherIsBetter => d > 0.0,
    };
    if better {
        Verdict::ContenderBetter
    } else {
        Verdict::BaselineBetter
    }
}

/// The verdict picks a side and the pooled difference points strictly the other way.
fn reversal(r: &ComparisonResult) -> bool {
    match (r.verdict.is_decisive(), r.difference, r.pooled_difference) {
        (true, Some(d), Some(pooled)) => (d > 0.0 && pooled < 0.0) || (d < 0.0 && pooled > 0.0),
        _ => false,
    }
}
