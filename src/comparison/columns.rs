//! Each strategy's cells as one compact column per KPI, built in one pass over its counts:
//! the comparison's passes then read 40-byte parts in cell order instead of whole counts.

use crate::metrics::RawCounts;

use super::kpi::ComparisonKpi;

/// What one cell holds for one KPI: its rank in the table's cell order, the numerator and the
/// denominator (each `None` when not measured).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Part {
    pub rank: u32,
    pub x: Option<f64>,
    pub n: Option<f64>,
}

/// One strategy: its total offered and, per KPI of [`ComparisonKpi::ALL`], the cells where
/// the KPI's numerator or denominator is present, in rank order.
#[derive(Debug)]
pub(crate) struct Columns<'t> {
    pub id: &'t str,
    pub offered: u64,
    columns: [Vec<Part>; 5],
}

impl<'t> Columns<'t> {
    /// The columns of `id`'s cells, given as `(rank, counts)` in rank order.
    pub fn of(id: &'t str, cells: &[(u32, &RawCounts)]) -> Columns<'t> {
        let mut columns: [Vec<Part>; 5] = Default::default();
        let mut offered: u64 = 0;
        for &(rank, counts) in cells {
            offered = offered.saturating_add(counts.offered.unwrap_or(0));
            for (column, kpi) in columns.iter_mut().zip(ComparisonKpi::ALL) {
                let (x, n) = kpi.parts(counts);
                if x.is_some() || n.is_some() {
                    column.push(Part { rank, x, n });
                }
            }
        }
        Columns {
            id,
            offered,
            columns,
        }
    }

    /// The column of `kpi`.
    pub fn kpi(&self, kpi: ComparisonKpi) -> &[Part] {
        let position = ComparisonKpi::ALL
            .iter()
            .position(|k| *k == kpi)
            .unwrap_or(0);
        &self.columns[position]
    }
}
