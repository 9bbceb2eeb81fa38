//! The cells of a fetched [`MetricTable`]: each bucket's within values and its time key,
//! either copied into a [`CellTable`] or read in place ([`TableCells`], for
//! [`compare_table`](super::compare_table)).

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::DateTime;
use chrono_tz::Tz;

use super::grid::{ByRank, Grid};
use super::{CellMatch, CellTable};
use crate::metrics::{CompactCounts, MetricTable, Row};

impl CellTable {
    /// The cells of `table` for `matching`: each bucket's [`within`](crate::metrics::BucketRef::within)
    /// values and its time key (the bucket itself, its local hour of the day in `time_zone`,
    /// or nothing for the whole window). A bucket whose interval start does not parse keys by
    /// the whole interval, as the bucket match does.
    ///
    /// [`compare_table`](super::compare_table) compares the same cells without copying them.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::comparison::{CellMatch, CellTable};
    /// use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts};
    ///
    /// let offered = |n| RawCounts { offered: Some(n), ..RawCounts::default() };
    /// let mut table = MetricTable::with_within(vec!["queueId".into()]);
    /// for day in ["2024-05-01", "2024-05-02"] {
    ///     let interval = format!("{day}T08:00:00Z/{day}T09:00:00Z");
    ///     let bucket = Bucket::new(interval, offered(3)).in_cell(vec!["q1".into()]);
    ///     table.push_bucket("Standard", bucket);
    /// }
    /// let hours = CellTable::from_metric_table(&table, CellMatch::HourOfDay, chrono_tz::Europe::Berlin);
    /// assert_eq!(hours.get(&["q1", "10"], "Standard").and_then(|c| c.offered), Some(6));
    /// ```
    pub fn from_metric_table(table: &MetricTable, matching: CellMatch, time_zone: Tz) -> Self {
        let times = TimeKeys::of(table, matching, time_zone);
        let mut cells = CellTable::new();
        for strategy in table.stored() {
            for (at, row) in strategy.rows.iter().enumerate() {
                let key = table.cells()[row.cell as usize]
                    .iter()
                    .map(String::as_str)
                    .chain(times.key_of(row.interval));
                cells.add(key, &strategy.id, &strategy.counts(at));
            }
        }
        cells
    }
}

/// The time part of each interval's cells, worked out once per distinct interval.
struct TimeKeys<'t> {
    /// By interval number: the number of its time key.
    of_interval: Vec<u32>,
    /// By number: the time key; empty for the whole window (no time part).
    keys: Vec<Cow<'t, str>>,
}

impl<'t> TimeKeys<'t> {
    fn of(table: &'t MetricTable, matching: CellMatch, time_zone: Tz) -> Self {
        let intervals = table.intervals();
        match matching {
            CellMatch::Window => TimeKeys {
                of_interval: vec![0; intervals.len()],
                keys: Vec::new(),
            },
            CellMatch::HourOfDay => {
                let mut keys: Vec<Cow<'t, str>> = Vec::new();
                let mut numbers: HashMap<String, u32> = HashMap::new();
                let of_interval = intervals
                    .iter()
                    .map(|interval| {
                        let key = hour_of_day(interval, time_zone);
                        *numbers.entry(key).or_insert_with_key(|key| {
                            keys.push(Cow::Owned(key.clone()));
                            index(keys.len() - 1)
                        })
                    })
                    .collect();
                TimeKeys { of_interval, keys }
            }
            _ => TimeKeys {
                of_interval: (0..intervals.len()).map(index).collect(),
                keys: intervals
                    .iter()
                    .map(|i| Cow::Borrowed(i.as_str()))
                    .collect(),
            },
        }
    }

    /// How many time keys there are (1 for the whole window).
    fn count(&self) -> usize {
        self.keys.len().max(1)
    }

    /// The time key of the interval numbered `interval`, if the cells have one.
    fn key_of(&self, interval: u32) -> Option<&str> {
        self.key(self.of_interval[interval as usize])
    }

    /// The time key numbered `number`, if the cells have one.
    fn key(&self, number: u32) -> Option<&str> {
        self.keys.get(number as usize).map(|k| k.as_ref())
    }
}

/// The local hour of the day (`"08"`) an interval starts in, or the whole interval when its
/// start does not parse.
fn hour_of_day(interval: &str, time_zone: Tz) -> String {
    let start = interval.split('/').next().unwrap_or(interval);
    match DateTime::parse_from_rfc3339(start) {
        Ok(start) => start.with_timezone(&time_zone).format("%H").to_string(),
        Err(_) => interval.to_owned(),
    }
}

/// An index that fits `u32`: a table holds far fewer than 2^32 cells.
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Not a rank.
const NONE: u32 = u32::MAX;

/// Each cell's rank, by the cell's position (see [`TableCells::position`]): an array where
/// positions are few beside the buckets, a map otherwise.
enum Ranks {
    Dense(Vec<u32>),
    Sparse(HashMap<u64, u32>),
}

impl Ranks {
    fn get(&self, position: u64) -> u32 {
        match self {
            Ranks::Dense(ranks) => ranks[position as usize],
            Ranks::Sparse(ranks) => ranks.get(&position).copied().unwrap_or(NONE),
        }
    }
}

/// The rank of each of `values` in their sorted order (all distinct).
fn ranks_of<T: Ord>(values: &[T]) -> Vec<u32> {
    let mut order: Vec<u32> = (0..values.len()).map(index).collect();
    order.sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
    let mut rank = vec![0; values.len()];
    for (r, &i) in order.iter().enumerate() {
        rank[i as usize] = index(r);
    }
    rank
}

/// A [`MetricTable`]'s cells read in place: the same cells, ranks and sums as the
/// [`CellTable`] built by [`CellTable::from_metric_table`], without copying the counts.
///
/// A cell is a within tuple (the table's cell number) and a time key (numbered per distinct
/// key). Cells rank in the order of their keys, as the cell table ranks them: where every
/// tuple has the same length, that is the order of (tuple's rank, time key's rank), so the
/// position `tuple rank * time keys + time rank` sorts as the keys do and ranking is one
/// count over the positions; otherwise positions are numbers and sorted by key.
pub(crate) struct TableCells<'t> {
    table: &'t MetricTable,
    /// By interval number: the number of its time key.
    time_of: Vec<u32>,
    /// By cell number: what the position multiplies.
    cell_part: Vec<u64>,
    /// By time key number: what the position adds.
    time_part: Vec<u64>,
    width: u64,
    ranks: Ranks,
    cells: usize,
    /// The distinct strategies with rows, each with the positions of its entries in the table
    /// (an id the table holds twice has two).
    strategies: Vec<(&'t str, Vec<usize>)>,
}

impl<'t> TableCells<'t> {
    pub(crate) fn new(table: &'t MetricTable, matching: CellMatch, time_zone: Tz) -> Self {
        let times = TimeKeys::of(table, matching, time_zone);
        let stored = table.stored();
        let tuples = table.cells();
        let uniform = tuples.windows(2).all(|w| w[0].len() == w[1].len());
        let (cell_part, time_part): (Vec<u64>, Vec<u64>) = if uniform {
            (
                ranks_of(tuples).into_iter().map(u64::from).collect(),
                ranks_of(&times.keys).into_iter().map(u64::from).collect(),
            )
        } else {
            (
                (0..tuples.len() as u64).collect(),
                (0..times.keys.len() as u64).collect(),
            )
        };
        let mut cells = TableCells {
            table,
            time_of: times.of_interval.clone(),
            cell_part,
            time_part,
            width: times.count() as u64,
            ranks: Ranks::Dense(Vec::new()),
            cells: 0,
            strategies: Vec::new(),
        };
        let rows = stored.iter().flat_map(|s| &s.rows);
        let count: usize = stored.iter().map(|s| s.rows.len()).sum();
        let positions = tuples.len() as u64 * cells.width;
        // Only where tuples differ in length: positions are plain numbers, sorted by key.
        let key = |position: u64| {
            let (tuple, time) = (position / cells.width, position % cells.width);
            tuples[tuple as usize]
                .iter()
                .map(String::as_str)
                .chain(times.key(time as u32))
        };
        let dense = positions <= 4 * count as u64 + 4096;
        let (ranks, ranked) = if dense && uniform {
            // Positions sort as the keys: a cell's rank is the number of cells before it.
            let mut dense = vec![NONE; usize::try_from(positions).unwrap_or(0)];
            for row in rows {
                dense[cells.position(row) as usize] = 0;
            }
            let mut next = 0u32;
            for slot in dense.iter_mut().filter(|r| **r != NONE) {
                *slot = next;
                next += 1;
            }
            (Ranks::Dense(dense), next as usize)
        } else {
            let mut present: Vec<u64> = rows.map(|row| cells.position(row)).collect();
            present.sort_unstable();
            present.dedup();
            if !uniform {
                present.sort_unstable_by(|&a, &b| key(a).cmp(key(b)));
            }
            let ranked = present.len();
            let ranks = if dense {
                let mut dense = vec![NONE; usize::try_from(positions).unwrap_or(0)];
                for (rank, &p) in present.iter().enumerate() {
                    dense[p as usize] = index(rank);
                }
                Ranks::Dense(dense)
            } else {
                Ranks::Sparse(
                    present
                        .iter()
                        .enumerate()
                        .map(|(rank, &p)| (p, index(rank)))
                        .collect(),
                )
            };
            (ranks, ranked)
        };
        cells.ranks = ranks;
        cells.cells = ranked;
        let mut seen: HashMap<&'t str, usize> = HashMap::new();
        for (i, s) in stored
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.rows.is_empty())
        {
            match seen.get(s.id.as_str()) {
                Some(&at) => cells.strategies[at].1.push(i),
                None => {
                    seen.insert(&s.id, cells.strategies.len());
                    cells.strategies.push((&s.id, vec![i]));
                }
            }
        }
        cells
    }

    /// The position of a row's cell.
    fn position(&self, row: &Row) -> u64 {
        let time = self.time_of[row.interval as usize] as usize;
        self.cell_part[row.cell as usize] * self.width
            + self.time_part.get(time).copied().unwrap_or(0)
    }
}

impl Grid for TableCells<'_> {
    type Counts = CompactCounts;

    fn strategies(&self) -> Vec<(&str, u64)> {
        let stored = self.table.stored();
        self.strategies
            .iter()
            .map(|(id, entries)| {
                let offered = entries
                    .iter()
                    .flat_map(|&i| &stored[i].rows)
                    .fold(0u64, |total, row| {
                        total.saturating_add(row.counts.offered().unwrap_or(0))
                    });
                (*id, offered)
            })
            .collect()
    }

    fn by_rank(&self, position: usize) -> ByRank<'_, CompactCounts> {
        let stored = self.table.stored();
        let entries = self.strategies.get(position).map_or(&[][..], |s| &s.1);
        ByRank::collect(
            self.cells,
            entries
                .iter()
                .flat_map(|&i| &stored[i].rows)
                .map(|row| (self.ranks.get(self.position(row)), &row.counts)),
        )
    }
}
