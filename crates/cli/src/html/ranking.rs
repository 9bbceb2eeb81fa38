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

/// The span of a whisker axis: every row's whisker of one rate on the same axis, fitted to
/// the intervals drawn on it (rounded out to 5 percentage points, at least [`MIN_SPAN`] wide,
/// within 0..1), so a 2% abandon rate is not a dot squeezed against the left edge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Axis {
    low: f64,
    high: f64,
}

/// The narrowest whisker axis, as a share: 10 percentage points.
pub(super) const MIN_SPAN: f64 = 0.1;
const STEP: f64 = 0.05;

impl Axis {
    /// The axis holding every interval of `intervals`; 0..1 when there is none.
    pub(super) fn fitting<'a>(intervals: impl Iterator<Item = &'a Interval>) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for i in intervals.filter(|i| i.lower.is_finite() && i.upper.is_finite()) {
            lo = lo.min(i.lower);
            hi = hi.max(i.upper);
        }
        if lo > hi {
            return Axis {
                low: 0.0,
                high: 1.0,
            };
        }
        let mut low = ((lo / STEP).floor() * STEP).max(0.0);
        let mut high = ((hi / STEP).ceil() * STEP).min(1.0);
        while high - low < MIN_SPAN - 1e-9 {
            if high < 1.0 {
                high = (high + STEP).min(1.0);
            } else {
                low = (low - STEP).max(0.0);
            }
        }
        Axis { low, high }
    }

    /// The axis as the page's key states it: `0–15%`.
    pub(super) fn describe(self) -> String {
        format!("{:.0}–{:.0}%", self.low * 100.0, self.high * 100.0)
    }
}

/// A point at the estimate and a whisker over the 95% interval, on `axis`.
pub(super) fn whisker(interval: &Interval, axis: Axis) -> String {
    let Axis { low, high } = axis;
    draw(WIDTH, HEIGHT, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(3)
            .build_cartesian_2d(low..high, 0.0..1.0)
            .map_err(err)?;
        let axis = PathElement::new([(low, 0.5), (high, 0.5)], GUIDE.stroke_width(1));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(successes: f64, trials: f64) -> Interval {
        Interval::wilson(successes, trials).unwrap()
    }

    #[test]
    fn the_whisker_axis_fits_the_intervals_rounded_out_with_a_minimum_span() {
        // About 1.3–3.1% and 2.1–4.3%.
        let low = [rate(20.0, 1000.0), rate(30.0, 1000.0)];
        assert_eq!(Axis::fitting(low.iter()).describe(), "0–10%");
        // About 21.8–39.6% and 40.4–59.6%.
        let wide = [rate(30.0, 100.0), rate(50.0, 100.0)];
        assert_eq!(Axis::fitting(wide.iter()).describe(), "20–60%");
        // About 96.9–98.7%.
        let high = [rate(980.0, 1000.0)];
        assert_eq!(Axis::fitting(high.iter()).describe(), "90–100%");
        assert_eq!(Axis::fitting([].iter()).describe(), "0–100%");
    }
}
