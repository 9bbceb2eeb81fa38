//! Fair comparison: on the same traffic, does a strategy do better than the baseline, by how
//! much, and how sure are we?
//!
//! The ranking ([`scoring`](crate::scoring)) pools each strategy's traffic, so when strategies
//! serve different queues it compares queues, not methods (Simpson's paradox). A comparison
//! looks only *within cells*, units of like-for-like traffic (the same queue in the same bucket,
//! hour of the day, or window; [`CellMatch`]), and weighs the cells both strategies share:
//!
//! - rates (`abandonRate`, `serviceLevel`, `transferRate`): the Mantel-Haenszel risk difference
//!   with Sato's variance and a normal reference;
//! - means (`avgSpeedOfAnswer`, `avgHandleTime`): the same weighted difference with a
//!   cell-level sandwich variance and a Student t reference on `cells - 1` degrees of freedom;
//! - p-values Holm-adjusted over the whole comparison, a [`Verdict`] at `alpha`, the minimum
//!   detectable difference at `power`, coverage (how much of each strategy's traffic the
//!   answer rests on), and the pooled difference with a `reversal` flag where the pooled view
//!   points the other way.
//!
//! This is `COMPARISON.md` of the project's contracts, checked against vectors computed with
//! R's `metafor`. Everything here is pure: no I/O, no clock, no randomness, and the result does
//! not depend on the order rows were added in. The long-form guide is `docs/comparison.md`.
//!
//! # Example
//! ```
//! use genesys_routing_eval::comparison::{CellTable, ComparisonConfig, Verdict, compare};
//! use genesys_routing_eval::metrics::RawCounts;
//!
//! let counts = |offered, abandoned| RawCounts {
//!     offered: Some(offered),
//!     abandoned: Some(abandoned),
//!     ..RawCounts::default()
//! };
//! let mut table = CellTable::new();
//! for day in 0..30 {
//!     let day = format!("d{day}");
//!     // Predictive abandons less on every queue it shares with Standard...
//!     table.add(["easy", day.as_str()], "Standard", &counts(400, 20));
//!     table.add(["easy", day.as_str()], "Predictive", &counts(40, 1));
//!     table.add(["hard", day.as_str()], "Standard", &counts(40, 8));
//!     table.add(["hard", day.as_str()], "Predictive", &counts(400, 60));
//! }
//! let config = ComparisonConfig::builder().kpi_names(["abandonRate"]).build()?;
//! let comparison = compare(&config, &table)?;
//! let result = &comparison.results[0];
//! assert_eq!(comparison.baseline, "Predictive"); // the most offered; ties: the smaller id
//! assert_eq!(result.contender, "Standard");
//! assert_eq!(result.verdict, Verdict::BaselineBetter);
//! // ...but pooled over its hard queues it looks worse: the pooled view is reversed.
//! assert!(result.pooled_difference.unwrap() < 0.0);
//! assert!(result.reversal);
//! # Ok::<(), genesys_routing_eval::Error>(())
//! ```

mod assemble;
mod cells;
mod config;
mod estimate;
mod file;
mod from_table;
mod grid;
mod holm;
mod kpi;
mod output;
mod select;
mod verdict;

pub use cells::{CellRow, CellTable};
pub use config::{
    CellMatch, ComparisonConfig, ComparisonConfigBuilder, DEFAULT_ALPHA, DEFAULT_POWER,
};
pub use file::ComparisonFile;
pub use kpi::{ComparisonKpi, KpiKind};
pub use output::{Comparison, ComparisonResult, Verdict};

use crate::error::Error;
use crate::metrics::MetricTable;

/// Compares every contender with the baseline on every KPI, as `COMPARISON.md` specifies.
///
/// The baseline is `config.baseline`, else the strategy with the largest total offered (ties:
/// the smallest id in byte order). Contenders are `config.contenders`, else every other
/// strategy; results list them by total offered (descending, then id), and the KPIs in
/// [`ComparisonKpi::ALL`]'s order, leaving out a KPI that one of the two strategies never
/// measured (numerator and denominator present in no cell). A table holding only the
/// baseline gives an empty `results`. A contender sharing no cell with the baseline still gets
/// its results (`cells: 0`, verdict [`Verdict::InsufficientData`]).
///
/// # Errors
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when `config` is invalid
/// ([`ComparisonConfig::validate`]), when the table is empty, or when the baseline or a named
/// contender has no cells (the message names the strategies present), or when a named
/// contender is the baseline.
///
/// # Example
/// See the [module documentation](self).
pub fn compare(config: &ComparisonConfig, table: &CellTable) -> Result<Comparison, Error> {
    config.validate()?;
    run(config, &table.ranked())
}

/// Compares as [`compare`] does, reading the cells of `table` in place: the cells
/// [`CellTable::from_metric_table`] would build from it for `config.cell_match` in
/// `time_zone`, without copying a bucket's counts (only where several buckets of a strategy
/// fall in one cell, hour of the day or window, is their sum kept). The result is the same,
/// bit for bit.
///
/// # Errors
/// As [`compare`].
///
/// # Example
/// ```
/// use genesys_routing_eval::comparison::{CellMatch, CellTable, ComparisonConfig, compare, compare_table};
/// use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts};
///
/// let counts = |offered, abandoned| RawCounts {
///     offered: Some(offered),
///     abandoned: Some(abandoned),
///     ..RawCounts::default()
/// };
/// let mut table = MetricTable::with_within(vec!["queueId".into()]);
/// for hour in 0..24 {
///     let interval = format!("2024-05-01T{hour:02}:00:00Z/2024-05-01T{:02}:00:00Z", hour + 1);
///     let cell = vec![format!("q{}", hour % 3)];
///     table.push_bucket("Standard", Bucket::new(&interval, counts(100, 9)).in_cell(cell.clone()));
///     table.push_bucket("Predictive", Bucket::new(&interval, counts(90, 4)).in_cell(cell));
/// }
/// let config = ComparisonConfig::builder().kpi_names(["abandonRate"]).build()?;
/// let in_place = compare_table(&config, &table, chrono_tz::UTC)?;
/// let cells = CellTable::from_metric_table(&table, CellMatch::Bucket, chrono_tz::UTC);
/// assert_eq!(in_place, compare(&config, &cells)?);
/// assert_eq!(in_place.results[0].cells, 24);
/// # Ok::<(), genesys_routing_eval::Error>(())
/// ```
pub fn compare_table(
    config: &ComparisonConfig,
    table: &MetricTable,
    time_zone: chrono_tz::Tz,
) -> Result<Comparison, Error> {
    config.validate()?;
    run(
        config,
        &from_table::TableCells::new(table, config.cell_match, time_zone),
    )
}

/// The engine, over any store of cells.
fn run(config: &ComparisonConfig, cells: &impl grid::Grid) -> Result<Comparison, Error> {
    let strategies = cells.strategies();
    let ordered = select::by_offered(&strategies);
    let (baseline, contenders) = select::baseline_and_contenders(config, &ordered)?;
    let position_of = |id: &str| strategies.iter().position(|s| s.0 == id);
    let mut kpis = config.kpis.clone().unwrap_or(ComparisonKpi::ALL.to_vec());
    kpis.sort();
    kpis.dedup();
    let mut results = Vec::new();
    if let Some(base) = position_of(&baseline) {
        let base = cells.by_rank(base);
        for contender in &contenders {
            let Some(position) = position_of(contender) else {
                continue;
            };
            let counts = cells.by_rank(position);
            results.extend(assemble::results(
                contender,
                &counts,
                &base,
                &kpis,
                config.alpha,
                config.power,
            ));
        }
    }
    verdict::decide(&mut results, config.alpha);
    Ok(Comparison {
        treatment: config.treatment.clone(),
        within: config.within.clone(),
        cell_match: config.cell_match,
        baseline,
        alpha: config.alpha,
        power: config.power,
        results,
    })
}
