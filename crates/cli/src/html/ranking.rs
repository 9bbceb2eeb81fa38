//! The ranking's cells: a score bar, and a Wilson interval whisker for a rate.

use genesys_routing_eval::scoring::Interval;
use plotters::prelude::*;

use super::svg::{GUIDE, INK, PALETTE, draw, err};

const WIDTH: u32 = 150;
const HEIGHT: u32 = 22;

/// A bar from 0 to `score` on a 0..1 track.
pub(super) fn score_bar(score: f64) -> String {
    draw(WIDTH, HEIGHT, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(3)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .map_err(err)?;
        let track = Rectangle::new([(0.0, 0.15), (1.0, 0.85)], GUIDE.stroke_width(1));
        let bar = Rectangle::new(
            [(0.0, 0.15), (score.clamp(0.0, 1.0), 0.85)],
            PALETTE[0].filled(),
        );
        chart.draw_series([track, bar]).map_err(err)?;
        Ok(())
    })
}

/// A point at the estimate and a whisker over the 95% interval, on a 0..`max` axis (a share).
pub(super) fn whisker(interval: &Interval, max: f64) -> String {
    draw(WIDTH, HEIGHT, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(3)
            .build_cartesian_2d(0.0..max, 0.0..1.0)
            .map_err(err)?;
        let axis = PathElement::new([(0.0, 0.5), (max, 0.5)], GUIDE.stroke_width(1));
        let whisker = ErrorBar::new_horizontal(
            0.5,
            interval.lower,
            interval.estimate,
            interval.upper,
            INK.stroke_width(2),
            10,
        );
        chart.draw_series([axis]).map_err(err)?;
        chart.draw_series([whisker]).map_err(err)?;
        chart
            .draw_series([Circle::new(
                (interval.estimate, 0.5),
                4,
                PALETTE[1].filled(),
            )])
            .map_err(err)?;
        Ok(())
    })
}
