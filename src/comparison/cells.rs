//! The cell table: raw counts per (cell, strategy), rows for the same pair added together.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::metrics::RawCounts;

/// One row of input: a strategy's counts in a cell.
///
/// `cell` is the cell's key: the values of the `within` dimensions and the time key, in that
/// order (`["q0", "2026-10-01"]`); the engine only compares keys for equality.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CellRow {
    /// The cell's key.
    pub cell: Vec<String>,
    /// The strategy (a value of the treatment dimension).
    pub strategy: String,
    /// What was measured; an absent field is not measured.
    pub counts: RawCounts,
}

impl CellRow {
    /// A row of `strategy`'s `counts` in `cell`.
    pub fn new<I, S>(cell: I, strategy: impl Into<String>, counts: RawCounts) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CellRow {
            cell: cell.into_iter().map(Into::into).collect(),
            strategy: strategy.into(),
            counts,
        }
    }
}

/// Counts per (cell, strategy): the comparison's input.
///
/// Rows for the same cell and strategy are added field by field, as the metric table adds
/// buckets ([`RawCounts::add`]). The result of a comparison does not depend on the order rows
/// were added in: cells are visited in the byte order of their keys.
///
/// # Example
/// ```
/// use genesys_routing_eval::comparison::CellTable;
/// use genesys_routing_eval::metrics::RawCounts;
///
/// let mut counts = RawCounts::default();
/// counts.offered = Some(10);
/// counts.abandoned = Some(1);
/// let mut table = CellTable::new();
/// table.add(["q1", "2026-10-01"], "Standard", &counts);
/// table.add(["q1", "2026-10-01"], "Standard", &counts);
/// assert_eq!(table.len(), 1);
/// assert_eq!(table.get(&["q1", "2026-10-01"], "Standard").unwrap().offered, Some(20));
/// ```
#[derive(Debug, Clone, Default)]
pub struct CellTable {
    cells: HashMap<Vec<String>, u32>,
    strategies: Vec<String>,
    strategy_index: HashMap<String, u32>,
    /// Per strategy: its counts by cell index.
    counts: Vec<HashMap<u32, RawCounts>>,
}

impl CellTable {
    /// An empty table.
    pub fn new() -> Self {
        CellTable::default()
    }

    /// Adds `counts` of `strategy` in `cell` (to what that pair already holds).
    pub fn add<I, S>(&mut self, cell: I, strategy: &str, counts: &RawCounts)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let key: Vec<String> = cell.into_iter().map(Into::into).collect();
        self.add_key(key, strategy, counts);
    }

    /// Adds one row.
    pub fn add_row(&mut self, row: CellRow) {
        self.add_key(row.cell, &row.strategy, &row.counts);
    }

    fn add_key(&mut self, key: Vec<String>, strategy: &str, counts: &RawCounts) {
        let next = u32::try_from(self.cells.len()).unwrap_or(u32::MAX);
        let cell = *self.cells.entry(key).or_insert(next);
        let s = self.strategy_slot(strategy);
        self.counts[s].entry(cell).or_default().add(counts);
    }

    fn strategy_slot(&mut self, strategy: &str) -> usize {
        if let Some(&i) = self.strategy_index.get(strategy) {
            return i as usize;
        }
        let i = self.strategies.len();
        self.strategies.push(strategy.to_owned());
        self.strategy_index
            .insert(strategy.to_owned(), u32::try_from(i).unwrap_or(u32::MAX));
        self.counts.push(HashMap::new());
        i
    }

    /// The strategies present, in order of first appearance.
    pub fn strategies(&self) -> impl Iterator<Item = &str> {
        self.strategies.iter().map(String::as_str)
    }

    /// How many (cell, strategy) pairs hold counts.
    pub fn len(&self) -> usize {
        self.counts.iter().map(HashMap::len).sum()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counts of `strategy` in `cell`, added over its rows.
    pub fn get<S: AsRef<str>>(&self, cell: &[S], strategy: &str) -> Option<&RawCounts> {
        let key: Vec<String> = cell.iter().map(|s| s.as_ref().to_owned()).collect();
        let c = self.cells.get(&key)?;
        let s = *self.strategy_index.get(strategy)? as usize;
        self.counts[s].get(c)
    }

    /// Each strategy's cells in the byte order of their keys, as `(rank, counts)` with rank
    /// the cell's position in that order: the same for every strategy, so two lists merge.
    pub(crate) fn sorted(&self) -> Vec<(&str, Vec<(u32, &RawCounts)>)> {
        let mut keys: Vec<(&Vec<String>, u32)> = self.cells.iter().map(|(k, &i)| (k, i)).collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut rank = vec![0u32; keys.len()];
        for (position, (_, index)) in keys.iter().enumerate() {
            rank[*index as usize] = u32::try_from(position).unwrap_or(u32::MAX);
        }
        self.strategies
            .iter()
            .zip(&self.counts)
            .map(|(id, cells)| {
                let mut list: Vec<(u32, &RawCounts)> =
                    cells.iter().map(|(c, n)| (rank[*c as usize], n)).collect();
                list.sort_unstable_by_key(|(r, _)| *r);
                (id.as_str(), list)
            })
            .collect()
    }
}

impl Extend<CellRow> for CellTable {
    fn extend<T: IntoIterator<Item = CellRow>>(&mut self, rows: T) {
        for row in rows {
            self.add_row(row);
        }
    }
}

impl FromIterator<CellRow> for CellTable {
    fn from_iter<T: IntoIterator<Item = CellRow>>(rows: T) -> Self {
        let mut table = CellTable::new();
        table.extend(rows);
        table
    }
}
