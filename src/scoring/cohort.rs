//! The rows to score, stored by column so each KPI is normalised in one contiguous pass.

use std::sync::Arc;

use super::ids::StrategyIds;
use crate::metrics::{Kpi, Kpis};

/// The most distinct metric names a score file may hold.
pub(crate) const MAX_FILE_METRICS: usize = 256;

/// The strategies to score and their metric values, one column per metric name.
///
/// A value that is absent, NaN or infinite is missing for that row; columns store missing as
/// NaN. Rows keep their input order. Pushing a row allocates nothing of its own: its strategy
/// id joins the others in one buffer and columns grow amortised. Scoring shares the ids
/// rather than copying them.
///
/// # Example
/// ```
/// use genesys_routing_eval::scoring::Cohort;
/// let mut cohort = Cohort::new();
/// cohort.push("Bullseye", [("handledCalls", 120.0), ("avgSpeedOfAnswer", 14.5)]);
/// cohort.push("Standard", [("handledCalls", 95.0)]);
/// assert_eq!(cohort.len(), 2);
/// assert!(cohort.column("avgSpeedOfAnswer").unwrap()[1].is_nan());
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cohort {
    /// Shared with the [`Scores`](super::Scores) computed from it, so scoring copies no id.
    ids: Arc<StrategyIds>,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    /// A row has been begun and not yet finished, so columns are one longer than `ids`.
    row_open: bool,
}

impl Cohort {
    /// An empty cohort.
    pub fn new() -> Self {
        Cohort::default()
    }

    /// An empty cohort with room for `rows` rows.
    pub fn with_capacity(rows: usize) -> Self {
        Cohort::with_capacity_for_ids(rows, 0)
    }

    /// An empty cohort with room for `rows` rows whose ids take `id_bytes` bytes together.
    pub(crate) fn with_capacity_for_ids(rows: usize, id_bytes: usize) -> Self {
        Cohort {
            ids: Arc::new(StrategyIds::with_capacity(rows, id_bytes)),
            ..Cohort::default()
        }
    }

    /// A cohort of strategies and their derived KPIs, one column per [`Kpi`].
    pub fn from_kpis<'a, S: AsRef<str> + 'a>(
        rows: impl IntoIterator<Item = (S, &'a Kpis)>,
    ) -> Self {
        let mut cohort = Cohort::new();
        for (id, kpis) in rows {
            cohort.push_kpis(id.as_ref(), kpis);
        }
        cohort
    }

    /// Appends a row: `strategy_id` and its metric values by name. Names not seen before
    /// become new columns, missing in earlier rows; a name given twice keeps the last value.
    pub fn push<'a>(
        &mut self,
        strategy_id: impl AsRef<str>,
        metrics: impl IntoIterator<Item = (&'a str, f64)>,
    ) {
        let row = self.begin_row();
        for (name, value) in metrics {
            let col = self.column_index_or_insert(name);
            self.columns[col][row] = value;
        }
        self.finish_row(strategy_id.as_ref());
    }

    /// Appends a row holding every derived KPI of one strategy, by [`Kpi::name`].
    pub fn push_kpis(&mut self, strategy_id: impl AsRef<str>, kpis: &Kpis) {
        self.push(
            strategy_id,
            Kpi::ALL
                .into_iter()
                .map(|k| (k.name(), kpis.get(k).unwrap_or(f64::NAN))),
        );
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The strategy ids, in input order.
    pub fn ids(&self) -> &StrategyIds {
        &self.ids
    }

    /// The ids, shared.
    pub(crate) fn shared_ids(&self) -> Arc<StrategyIds> {
        Arc::clone(&self.ids)
    }

    /// The metric names seen, in order of first appearance.
    pub fn metric_names(&self) -> &[String] {
        &self.names
    }

    /// The values of metric `name`, one per row, NaN where missing (may hold infinities as
    /// given; scoring treats them as missing).
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| self.columns[i].as_slice())
    }

    /// Starts a row with every column missing and returns its index; the caller must push its
    /// id afterwards (see [`Cohort::finish_row`]).
    pub(crate) fn begin_row(&mut self) -> usize {
        let row = self.ids.len();
        for column in &mut self.columns {
            column.push(f64::NAN);
        }
        self.row_open = true;
        row
    }

    /// Sets a value in the row started by [`Cohort::begin_row`].
    pub(crate) fn set(&mut self, column: usize, row: usize, value: f64) {
        self.columns[column][row] = value;
    }

    /// Ends the row started by [`Cohort::begin_row`].
    pub(crate) fn finish_row(&mut self, strategy_id: &str) {
        Arc::make_mut(&mut self.ids).push(strategy_id);
        self.row_open = false;
    }

    /// [`column_index_or_insert`](Self::column_index_or_insert) for untrusted input: `None`
    /// instead of a column beyond the [`MAX_FILE_METRICS`]th. Each new column spans every row,
    /// so a file naming a new metric in every row would cost rows x names.
    pub(crate) fn column_index_capped(&mut self, name: &str) -> Option<usize> {
        if self.names.len() >= MAX_FILE_METRICS && !self.names.iter().any(|n| n == name) {
            return None;
        }
        Some(self.column_index_or_insert(name))
    }

    /// Appends `other`'s rows after this cohort's rows, matching columns by name, as if they
    /// had been pushed one by one: a column only one side has is missing in the other side's
    /// rows, and names new to `self` follow its own in `other`'s order of first appearance.
    /// `None`, changing nothing, when the two together name more than [`MAX_FILE_METRICS`]
    /// metrics (each half was capped on its own).
    pub(crate) fn append(&mut self, other: Cohort) -> Option<()> {
        let new_names = other
            .names
            .iter()
            .filter(|n| !self.names.contains(n))
            .count();
        if self.names.len() + new_names > MAX_FILE_METRICS {
            return None;
        }
        let (before, added) = (self.len(), other.len());
        let mut seen = vec![false; self.columns.len()];
        for (name, values) in other.names.iter().zip(&other.columns) {
            let column = self.column_index_or_insert(name);
            if column < seen.len() {
                seen[column] = true;
            }
            self.columns[column].extend_from_slice(&values[..added]);
        }
        for (column, _) in seen.iter().enumerate().filter(|(_, seen)| !**seen) {
            self.columns[column].resize(before + added, f64::NAN);
        }
        Arc::make_mut(&mut self.ids).extend_from(&other.ids);
        Some(())
    }

    /// The column of metric `name`, created (missing in every row so far, including the one
    /// begun) when new.
    pub(crate) fn column_index_or_insert(&mut self, name: &str) -> usize {
        if let Some(i) = self.names.iter().position(|n| n == name) {
            return i;
        }
        let rows = self.ids.len() + usize::from(self.row_open);
        let mut column = Vec::with_capacity(self.ids.capacity().max(rows));
        column.resize(rows, f64::NAN);
        self.names.push(name.to_owned());
        self.columns.push(column);
        self.names.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cohort_naming(names: impl Iterator<Item = String>) -> Cohort {
        let names: Vec<String> = names.collect();
        let mut cohort = Cohort::new();
        cohort.push("s", names.iter().map(|n| (n.as_str(), 1.0)));
        cohort
    }

    #[test]
    fn appending_halves_keeps_rows_in_order_and_fills_missing_columns() {
        let mut first = cohort_naming(["a".to_owned()].into_iter());
        let second = cohort_naming(["b".to_owned()].into_iter());
        assert_eq!(first.append(second), Some(()));
        assert_eq!(first.len(), 2);
        assert!(first.column("a").unwrap()[1].is_nan());
        assert!(first.column("b").unwrap()[0].is_nan());
    }

    #[test]
    fn appending_halves_that_together_exceed_the_metric_cap_changes_nothing() {
        let mut first = cohort_naming((0..200).map(|i| format!("a{i}")));
        let second = cohort_naming((0..200).map(|i| format!("b{i}")));
        assert_eq!(first.append(second), None);
        assert_eq!(first.len(), 1);
        assert_eq!(first.metric_names().len(), 200);
    }
}
