//! The cell table: raw counts per (cell, strategy), rows for the same pair added together.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::grid::{ByRank, Grid};
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
/// were added in: cells are visited in an order fixed by their keys alone.
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
    /// Each cell's key and its index.
    cells: HashMap<Vec<String>, u32>,
    strategies: Vec<String>,
    strategy_index: HashMap<String, u32>,
    /// By cell index: its first entry; the others follow through `Entry::next` (a cell holds
    /// one entry per strategy, a handful at most, so a short walk beats a second hash map).
    first_entry: Vec<u32>,
    /// The counts of each pair, in order of first appearance.
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    strategy: u32,
    cell: u32,
    /// The cell's next entry, or [`NONE`].
    next: u32,
    counts: RawCounts,
}

/// No entry.
const NONE: u32 = u32::MAX;

/// An index that fits the table's `u32` indices: a table has far fewer than 2^32 cells.
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl CellTable {
    /// An empty table.
    pub fn new() -> Self {
        CellTable::default()
    }

    /// An empty table with room for `rows` (cell, strategy) pairs without reallocating.
    pub fn with_capacity(rows: usize) -> Self {
        CellTable {
            cells: HashMap::with_capacity(rows),
            first_entry: Vec::with_capacity(rows),
            entries: Vec::with_capacity(rows),
            ..CellTable::default()
        }
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
        let next = index(self.cells.len());
        let cell = *self.cells.entry(key).or_insert_with(|| {
            self.first_entry.push(NONE);
            next
        });
        let strategy = self.strategy_slot(strategy);
        match self.entry_of(cell, strategy) {
            Some(slot) => self.entries[slot as usize].counts.add(counts),
            None => {
                let slot = index(self.entries.len());
                self.entries.push(Entry {
                    strategy,
                    cell,
                    next: self.first_entry[cell as usize],
                    counts: *counts,
                });
                self.first_entry[cell as usize] = slot;
            }
        }
    }

    /// The entry of `strategy` in `cell`, if any.
    fn entry_of(&self, cell: u32, strategy: u32) -> Option<u32> {
        let mut slot = self.first_entry[cell as usize];
        while slot != NONE {
            let entry = &self.entries[slot as usize];
            if entry.strategy == strategy {
                return Some(slot);
            }
            slot = entry.next;
        }
        None
    }

    fn strategy_slot(&mut self, strategy: &str) -> u32 {
        if let Some(&i) = self.strategy_index.get(strategy) {
            return i;
        }
        let i = index(self.strategies.len());
        self.strategies.push(strategy.to_owned());
        self.strategy_index.insert(strategy.to_owned(), i);
        i
    }

    /// The strategies present, in order of first appearance.
    pub fn strategies(&self) -> impl Iterator<Item = &str> {
        self.strategies.iter().map(String::as_str)
    }

    /// How many (cell, strategy) pairs hold counts.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The counts of `strategy` in `cell`, added over its rows.
    pub fn get<S: AsRef<str>>(&self, cell: &[S], strategy: &str) -> Option<&RawCounts> {
        let key: Vec<String> = cell.iter().map(|s| s.as_ref().to_owned()).collect();
        let cell = *self.cells.get(&key)?;
        let strategy = *self.strategy_index.get(strategy)?;
        let slot = self.entry_of(cell, strategy)?;
        Some(&self.entries[slot as usize].counts)
    }

    /// The table ready for the engine: each cell's rank in the order of the keys (part by
    /// part, byte order; the same for every strategy, whatever order rows came in), and
    /// each strategy's entries.
    pub(crate) fn ranked(&self) -> Ranked<'_> {
        let mut keys: Vec<(&Vec<String>, u32)> = self.cells.iter().map(|(k, &i)| (k, i)).collect();
        keys.sort_unstable();
        let mut rank = vec![0u32; keys.len()];
        for (position, (_, cell)) in keys.iter().enumerate() {
            rank[*cell as usize] = index(position);
        }
        let mut entries: Vec<Vec<u32>> = vec![Vec::new(); self.strategies.len()];
        for (slot, entry) in self.entries.iter().enumerate() {
            entries[entry.strategy as usize].push(index(slot));
        }
        Ranked {
            table: self,
            rank,
            entries,
        }
    }
}

/// A [`CellTable`] with its cells ranked, as the engine reads it.
pub(crate) struct Ranked<'t> {
    table: &'t CellTable,
    /// By cell index: its rank.
    rank: Vec<u32>,
    /// By strategy index: its entries.
    entries: Vec<Vec<u32>>,
}

impl Grid for Ranked<'_> {
    type Counts = RawCounts;

    fn strategies(&self) -> Vec<(&str, u64)> {
        self.table
            .strategies
            .iter()
            .zip(&self.entries)
            .map(|(id, entries)| {
                let offered = entries.iter().fold(0u64, |total, &slot| {
                    let counts = &self.table.entries[slot as usize].counts;
                    total.saturating_add(counts.offered.unwrap_or(0))
                });
                (id.as_str(), offered)
            })
            .collect()
    }

    fn by_rank(&self, position: usize) -> ByRank<'_, RawCounts> {
        let entries = self.entries.get(position).map_or(&[][..], Vec::as_slice);
        ByRank::collect(
            self.rank.len(),
            entries.iter().map(|&slot| {
                let entry = &self.table.entries[slot as usize];
                (self.rank[entry.cell as usize], &entry.counts)
            }),
        )
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
        let rows = rows.into_iter();
        let mut table = CellTable::with_capacity(rows.size_hint().0);
        table.extend(rows);
        table
    }
}
