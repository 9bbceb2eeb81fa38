//! The comparison's forest plot: one row per contender and KPI on a shared axis per KPI.

use genesys_routing_eval::comparison::{ComparisonResult, Verdict};
use plotters::prelude::*;

use super::svg::{GUIDE, INK, PALETTE, draw, err};

const WIDTH: u32 = 360;
const HEIGHT: u32 = 26;

/// The axis of one KPI's rows: symmetric around zero, wide enough for every interval, pooled
/// difference and minimum detectable difference.
pub(super) fn axis<'a>(results: impl Iterator<Item = &'a ComparisonResult>) -> f64 {
    let widest = results
        .flat_map(|r| {
            [
                r.ci_low,
                r.ci_high,
                r.pooled_difference,
                r.minimum_detectable_difference,
            ]
        })
        .flatten()
        .map(f64::abs)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    if widest > 0.0 { widest * 1.1 } else { 1.0 }
}

/// The colour of a verdict (its words are always printed beside it).
fn verdict_colour(verdict: Verdict) -> RGBColor {
    match verdict {
        Verdict::ContenderBetter => PALETTE[2],
        Verdict::BaselineBetter => PALETTE[1],
        _ => INK,
    }
}

/// One row: the minimum detectable band around zero, the zero line, the 95% interval with
/// its point (a filled circle when decisive, an open one otherwise) and the pooled
/// difference as a cross.
pub(super) fn row(r: &ComparisonResult, half: f64) -> String {
    draw(WIDTH, HEIGHT, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(3)
            .build_cartesian_2d(-half..half, 0.0..1.0)
            .map_err(err)?;
        if let Some(mdd) = r.minimum_detectable_difference.filter(|m| m.is_finite()) {
            let m = mdd.min(half);
            chart
                .draw_series([Rectangle::new(
                    [(-m, 0.1), (m, 0.9)],
                    GUIDE.mix(0.5).filled(),
                )])
                .map_err(err)?;
        }
        let zero = PathElement::new([(0.0, 0.0), (0.0, 1.0)], INK.stroke_width(1));
        chart.draw_series([zero]).map_err(err)?;
        let colour = verdict_colour(r.verdict);
        if let (Some(lo), Some(hi)) = (r.ci_low, r.ci_high) {
            let mid = r.difference.unwrap_or((lo + hi) / 2.0);
            let bar = ErrorBar::new_horizontal(
                0.5,
                lo.max(-half),
                mid,
                hi.min(half),
                colour.stroke_width(2),
                10,
            );
            chart.draw_series([bar]).map_err(err)?;
        }
        if let Some(d) = r.difference {
            let style = if r.verdict.is_decisive() {
                colour.filled()
            } else {
                colour.stroke_width(2)
            };
            chart
                .draw_series([Circle::new((d, 0.5), 5, style)])
                .map_err(err)?;
        }
        if let Some(p) = r.pooled_difference.filter(|p| p.abs() <= half) {
            chart
                .draw_series([Cross::new((p, 0.5), 4, INK.stroke_width(1))])
                .map_err(err)?;
        }
        Ok(())
    })
}
