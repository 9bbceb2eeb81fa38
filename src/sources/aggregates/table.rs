//! How the groups of a results page become rows of a [`MetricTable`]: [`TableLayout`]
//! (treatment, within dimensions, requested metrics) and [`add_groups`].

use std::collections::BTreeMap;

use super::into_table::decode_page;
use super::wire::{
    AggregateGroup, AggregationQuery, IntervalData, MetricValue, Stats, counts_of_metric,
};
use crate::error::Result;
use crate::metrics::{Bucket, MetricTable, RawCounts};

/// Decodes one results page body straight into `table` exactly as [`Aggregates::run`] does,
/// placing groups as `layout` says, and returns how many groups it held; for benchmarks.
///
/// # Errors
/// [`ErrorKind::Decode`] naming the JSON path when `body` is not a results page; groups
/// before the fault may already be in `table`.
#[doc(hidden)]
pub fn decode_results_page_into(
    body: &[u8],
    table: &mut MetricTable,
    layout: &TableLayout,
) -> Result<usize> {
    Ok(decode_page(body, None, table, layout)?.groups)
}

/// How the groups of an aggregates result become rows of a [`MetricTable`]: which grouped
/// dimension names the strategy (the *treatment*), which others name the bucket's cell
/// (the *within* dimensions), and which metrics were requested.
///
/// Genesys leaves a metric out of a bucket that had no events for it, so a requested metric
/// missing from a bucket is 0 there; a metric that was never requested stays absent (`None`),
/// so that no KPI is computed from data nobody asked for.
///
/// # Example
/// ```
/// use genesys_routing_eval::sources::aggregates::{add_groups, AggregateGroup, TableLayout};
/// use genesys_routing_eval::metrics::MetricTable;
///
/// let layout = TableLayout::new("usedRouting")
///     .within(["queueId"])
///     .requested(["nOffered", "tAbandon"]);
/// let groups: Vec<AggregateGroup> = serde_json::from_str(r#"[
///     {"group": {"usedRouting": "Predictive", "queueId": "q1"},
///      "data": [{"interval": "i1", "metrics": [{"metric": "nOffered", "stats": {"count": 9}}]}]}
/// ]"#).unwrap();
/// let mut table = layout.empty_table();
/// add_groups(&mut table, &groups, &layout);
///
/// let bucket = table.strategy("Predictive").unwrap().buckets().next().unwrap();
/// assert_eq!(bucket.within(), ["q1"]);
/// assert_eq!(bucket.counts().abandoned, Some(0), "requested, no events");
/// assert_eq!(bucket.counts().transferred, None, "never requested");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TableLayout {
    treatment: String,
    within: Vec<String>,
    requested: RawCounts,
}

impl TableLayout {
    /// Strategies named by `treatment`, no cells, no metric assumed requested.
    pub fn new(treatment: impl Into<String>) -> Self {
        TableLayout {
            treatment: treatment.into(),
            within: Vec::new(),
            requested: RawCounts::default(),
        }
    }

    /// The layout of `query`'s results with strategies named by `treatment`: every other
    /// `groupBy` dimension names the cell, and the query's metrics are the requested ones.
    pub fn of_query(query: &AggregationQuery, treatment: &str) -> Self {
        TableLayout::new(treatment)
            .within(query.group_by.iter().filter(|d| *d != treatment))
            .requested(&query.metrics)
    }

    /// Cells named by the values of `dimensions`, in this order.
    pub fn within<I, S>(mut self, dimensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.within = dimensions.into_iter().map(Into::into).collect();
        self
    }

    /// `metrics` were requested: where a bucket leaves one out, its counts are 0.
    pub fn requested<I, S>(mut self, metrics: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for metric in metrics {
            self.requested.add(&zero_counts_of(metric.as_ref()));
        }
        self
    }

    /// The dimension whose values are the strategies.
    pub fn treatment(&self) -> &str {
        &self.treatment
    }

    /// The dimensions naming a bucket's cell.
    pub fn within_dimensions(&self) -> &[String] {
        &self.within
    }

    /// An empty table with this layout's within dimensions.
    pub fn empty_table(&self) -> MetricTable {
        MetricTable::with_within(self.within.clone())
    }

    /// `counts` with every requested metric they leave out set to 0, as each bucket of a
    /// result is read.
    pub fn complete(&self, counts: RawCounts) -> RawCounts {
        let mut complete = self.requested;
        complete.add(&counts);
        complete
    }

    /// The complete counts of a bucket no metric has been read into yet (0 for each
    /// requested metric). Adding a bucket's metrics into them gives, bit for bit,
    /// [`complete`](Self::complete) of the metrics' sum: each requested field starts at 0,
    /// and `0 + a + b` is `a + b` in floating point too.
    pub(super) fn no_metrics_read(&self) -> RawCounts {
        self.requested
    }

    /// The group's strategy (`None`: the group lacks the treatment) and cell values.
    pub(super) fn place(
        &self,
        mut group: BTreeMap<String, String>,
    ) -> (Option<String>, Vec<String>) {
        let strategy = group.remove(&self.treatment);
        let cell = self
            .within
            .iter()
            .map(|d| group.remove(d).unwrap_or_default())
            .collect();
        (strategy, cell)
    }
}

/// The counts `metric` contributes when it had no events: 0 in every field it fills.
fn zero_counts_of(metric: &str) -> RawCounts {
    counts_of_metric(&MetricValue {
        metric: metric.to_owned(),
        qualifier: None,
        stats: Stats {
            count: Some(0),
            sum: Some(0.0),
            numerator: Some(0.0),
            denominator: Some(0.0),
            ..Stats::default()
        },
    })
}

/// Adds every group of `groups` to `table` as `layout` says; groups lacking the treatment
/// dimension go to the table's unattributed counts.
pub fn add_groups(table: &mut MetricTable, groups: &[AggregateGroup], layout: &TableLayout) {
    for group in groups {
        let (strategy, cell) = layout.place(group.group.clone());
        for bucket in &group.data {
            let counts = layout.complete(bucket_counts(bucket));
            add_bucket(
                table,
                strategy.as_deref(),
                Bucket::new(bucket.interval.clone(), counts).in_cell(cell.clone()),
            );
        }
    }
}

/// The raw counts of one bucket: its metrics' counts merged.
fn bucket_counts(bucket: &IntervalData) -> RawCounts {
    let mut counts = RawCounts::default();
    for metric in &bucket.metrics {
        counts.add(&counts_of_metric(metric));
    }
    counts
}

/// Adds one bucket to `strategy`, or to the unattributed counts for a group lacking the
/// treatment dimension.
fn add_bucket(table: &mut MetricTable, strategy: Option<&str>, bucket: Bucket) {
    match strategy {
        Some(id) => table.push_bucket(id, bucket),
        None => table.push_unattributed(bucket.counts),
    }
}
