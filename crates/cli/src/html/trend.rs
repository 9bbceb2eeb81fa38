//! Daily trend lines per strategy, computed from the report's buckets.

use std::collections::{BTreeMap, BTreeSet};

use genesys_routing_eval::metrics::{Kpi, Kpis, MetricTable, RawCounts};
use plotters::prelude::*;

use super::svg::{GUIDE, PALETTE, draw, err};

const WIDTH: u32 = 560;
const HEIGHT: u32 = 200;

/// Each strategy's counts per bucket interval, the cells of one interval added together.
/// The only place the report reads the table's buckets.
pub(super) fn buckets(table: &MetricTable) -> Vec<(String, BTreeMap<String, RawCounts>)> {
    table
        .strategies()
        .map(|s| {
            let mut by_interval: BTreeMap<String, RawCounts> = BTreeMap::new();
            for b in s.buckets() {
                by_interval
                    .entry(b.interval().to_owned())
                    .or_default()
                    .add(&b.counts());
            }
            (s.id().to_owned(), by_interval)
        })
        .collect()
}

/// One strategy's line: the KPI per interval, in interval order (missing where undefined).
pub(super) struct Series {
    pub(super) strategy_id: String,
    pub(super) values: Vec<Option<f64>>,
}

/// The intervals every series shares (sorted) and each strategy's values of `kpi` on them.
pub(super) fn series(
    buckets: &[(String, BTreeMap<String, RawCounts>)],
    kpi: Kpi,
) -> (Vec<String>, Vec<Series>) {
    let intervals: Vec<String> = buckets
        .iter()
        .flat_map(|(_, b)| b.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lines = buckets
        .iter()
        .map(|(id, by_interval)| Series {
            strategy_id: id.clone(),
            values: intervals
                .iter()
                .map(|i| {
                    by_interval
                        .get(i)
                        .and_then(|c| Kpis::from_counts(c).get(kpi))
                })
                .collect(),
        })
        .collect();
    (intervals, lines)
}

/// The dash and gap lengths of a line (0 = solid). A series' dash changes every third
/// series and its marker every series, so up to 18 lines differ without colour too.
fn dash(index: usize) -> (u32, u32) {
    [(0, 0), (8, 4), (2, 3), (12, 3), (5, 5), (1, 6)][index % 6]
}

/// The chart's margin on every side, in pixels.
const MARGIN: u32 = 8;
/// The x range's padding beyond the first and last point, in intervals.
const X_PAD: f64 = 0.2;

/// Where the `index`th of `n` points lies across the chart, in percent of its width (for the
/// date labels under it).
pub(super) fn x_percent(index: usize, n: usize) -> f64 {
    let x_max = (n.max(2) - 1) as f64;
    let inner = f64::from(WIDTH - 2 * MARGIN);
    let px = f64::from(MARGIN) + (index as f64 + X_PAD) / (x_max + 2.0 * X_PAD) * inner;
    px / f64::from(WIDTH) * 100.0
}

/// The chart of `lines` over `n` intervals, y from 0 to `top`.
pub(super) fn chart(lines: &[Series], n: usize, top: f64) -> String {
    let x_max = (n.max(2) - 1) as f64;
    draw(WIDTH, HEIGHT, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(MARGIN)
            .build_cartesian_2d(-X_PAD..x_max + X_PAD, 0.0..top)
            .map_err(err)?;
        for q in 0..=4 {
            let y = top * f64::from(q) / 4.0;
            chart
                .draw_series([PathElement::new(
                    [(-X_PAD, y), (x_max + X_PAD, y)],
                    GUIDE.stroke_width(1),
                )])
                .map_err(err)?;
        }
        for (index, line) in lines.iter().enumerate() {
            draw_line(&mut chart, index, line)?;
        }
        Ok(())
    })
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

fn draw_line(chart: &mut Chart<'_, '_>, index: usize, line: &Series) -> Result<(), String> {
    let colour = PALETTE[index % PALETTE.len()];
    let points: Vec<(f64, f64)> = line
        .values
        .iter()
        .enumerate()
        .filter_map(|(x, v)| v.map(|v| (x as f64, v)))
        .collect();
    let style = colour.stroke_width(2);
    match dash(index / 3) {
        (0, _) => {
            chart
                .draw_series(LineSeries::new(points.clone(), style))
                .map_err(err)?;
        }
        (size, gap) => {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), size, gap, style))
                .map_err(err)?;
        }
    }
    let drawn = match index % 3 {
        0 => chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, colour.filled()))),
        1 => chart.draw_series(
            points
                .iter()
                .map(|p| TriangleMarker::new(*p, 5, colour.filled())),
        ),
        _ => chart.draw_series(
            points
                .iter()
                .map(|p| Cross::new(*p, 4, colour.stroke_width(2))),
        ),
    };
    drawn.map(|_| ()).map_err(err)
}

/// The legend's swatch of the `index`th series: a short line of its dash with its marker.
pub(super) fn swatch(index: usize) -> String {
    let lines = [Series {
        strategy_id: String::new(),
        values: vec![Some(0.5), Some(0.5)],
    }];
    draw(44, 14, |area| {
        let mut chart = ChartBuilder::on(area)
            .margin(2)
            .build_cartesian_2d(-0.2..1.2, 0.0..1.0)
            .map_err(err)?;
        draw_line(&mut chart, index, &lines[0])
    })
}
