//! What the engine reads, however the cells are stored (a [`CellTable`](super::CellTable), or
//! a [`MetricTable`](crate::metrics::MetricTable) read in place): the strategies present with
//! their total offered, and one strategy at a time its counts cell by cell, in the cells'
//! rank (an order fixed by the cell keys alone, the same for every strategy).

use std::borrow::Cow;

use crate::metrics::{CompactCounts, RawCounts};

/// A cell's counts as a store of cells keeps them.
pub(crate) trait CellCounts: Copy + Default {
    /// The counts whole, to read every KPI of the cell from (unpacked once per cell, not
    /// once per KPI).
    fn whole(&self) -> Cow<'_, RawCounts>;

    /// Adds `other` into `self`, as [`RawCounts::add`] adds.
    fn add(&mut self, other: &Self);
}

impl CellCounts for RawCounts {
    fn whole(&self) -> Cow<'_, RawCounts> {
        Cow::Borrowed(self)
    }

    fn add(&mut self, other: &Self) {
        RawCounts::add(self, other);
    }
}

impl CellCounts for CompactCounts {
    fn whole(&self) -> Cow<'_, RawCounts> {
        Cow::Owned(self.unpack())
    }

    fn add(&mut self, other: &Self) {
        let mut sum = self.unpack();
        sum.add(&other.unpack());
        *self = CompactCounts::pack(&sum);
    }
}

/// A source of cells.
pub(crate) trait Grid {
    /// How it keeps a cell's counts.
    type Counts: CellCounts;

    /// The strategies with at least one row, in order of first appearance, each with its
    /// offered interactions summed over its rows (saturating).
    fn strategies(&self) -> Vec<(&str, u64)>;

    /// The counts of the strategy at `position` in [`strategies`](Self::strategies), by rank.
    fn by_rank(&self, position: usize) -> ByRank<'_, Self::Counts>;
}

/// No sum.
const NONE: u32 = u32::MAX;

/// One strategy's counts by rank (`None` in a cell where it has no row). Where several rows
/// of the strategy fall in one cell, their sum in row order, as [`RawCounts::add`] adds them.
#[derive(Debug)]
pub(crate) struct ByRank<'a, C> {
    first: Vec<Option<&'a C>>,
    /// By rank: the index in `sums` of a cell with several rows; empty when no cell has.
    summed: Vec<u32>,
    sums: Vec<C>,
}

impl<'a, C: CellCounts> ByRank<'a, C> {
    /// The rows `(rank, counts)`, in row order, over `cells` ranks.
    pub(crate) fn collect(cells: usize, rows: impl Iterator<Item = (u32, &'a C)>) -> Self {
        let mut first: Vec<Option<&'a C>> = vec![None; cells];
        let mut more: Vec<(u32, &'a C)> = Vec::new();
        for (rank, counts) in rows {
            match &mut first[rank as usize] {
                slot @ None => *slot = Some(counts),
                Some(_) => more.push((rank, counts)),
            }
        }
        let mut summed = Vec::new();
        let mut sums: Vec<C> = Vec::new();
        if !more.is_empty() {
            summed = vec![NONE; cells];
            for (rank, counts) in more {
                let at = &mut summed[rank as usize];
                if *at == NONE {
                    *at = u32::try_from(sums.len()).unwrap_or(NONE);
                    sums.push(first[rank as usize].copied().unwrap_or_default());
                }
                sums[*at as usize].add(counts);
            }
        }
        ByRank {
            first,
            summed,
            sums,
        }
    }

    /// The counts in each cell, in rank order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Option<&C>> + Clone + '_ {
        self.first
            .iter()
            .enumerate()
            .map(|(rank, first)| match self.summed.get(rank) {
                Some(&at) if at != NONE => self.sums.get(at as usize),
                _ => *first,
            })
    }
}
