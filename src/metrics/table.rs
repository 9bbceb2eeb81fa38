//! [`MetricTable`]: raw counts per strategy per bucket, each interval and each cell (the
//! values of the `within` dimensions) stored once and named by an index in every bucket.

use std::collections::HashMap;
use std::hash::Hash;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use super::compact::CompactCounts;
use super::{MeanParts, RawCounts};

/// One time bucket of one strategy, in one cell of the `within` dimensions: what a source
/// adds to a [`MetricTable`] ([`MetricTable::push_bucket`]), and an owned copy of what the
/// table holds ([`BucketRef::to_bucket`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Bucket {
    /// The bucket's interval, ISO-8601 `start/end`, as the source gave it.
    pub interval: String,
    /// The values of the table's [`within`](MetricTable::within) dimensions for this bucket,
    /// in their order (`""` where the group lacked one); empty when the table has none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub within: Vec<String>,
    /// What was measured in it.
    pub counts: RawCounts,
}

impl Bucket {
    /// A bucket of `counts` over `interval`, in no cell.
    pub fn new(interval: impl Into<String>, counts: RawCounts) -> Self {
        Bucket {
            interval: interval.into(),
            within: Vec::new(),
            counts,
        }
    }

    /// The same bucket in the cell named by `within` (one value per within dimension).
    pub fn in_cell(mut self, within: Vec<String>) -> Self {
        self.within = within;
        self
    }
}

/// Everything measured for one strategy, owned: what [`MetricTable::from_strategies`] takes,
/// and the shape a table serialises each strategy in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StrategyMetrics {
    /// The strategy: a value of the grouping dimension (`Bullseye`, a queue id, ...).
    pub strategy_id: String,
    /// Its buckets, in the order the source returned them.
    pub buckets: Vec<Bucket>,
}

impl StrategyMetrics {
    /// The counts of every bucket added together.
    pub fn totals(&self) -> RawCounts {
        let mut total = RawCounts::default();
        for b in &self.buckets {
            total.add(&b.counts);
        }
        total
    }
}

/// Values stored once each, numbered in order of first appearance.
#[derive(Debug, Clone)]
struct Interner<K> {
    values: Vec<K>,
    index: HashMap<K, u32>,
}

impl<K> Default for Interner<K> {
    fn default() -> Self {
        Interner {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq + Clone> Interner<K> {
    /// The number of `value`, stored (as `make` makes it) on first sight.
    fn id<Q>(&mut self, value: &Q, make: impl FnOnce(&Q) -> K) -> u32
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(&id) = self.index.get(value) {
            return id;
        }
        let id = index(self.values.len());
        let owned = make(value);
        self.values.push(owned.clone());
        self.index.insert(owned, id);
        id
    }
}

impl<K: Hash + Eq> Interner<K> {
    /// Forgets every value stored after the first `len`.
    fn truncate(&mut self, len: usize) {
        for value in self.values.drain(len.min(self.values.len())..) {
            self.index.remove(&value);
        }
    }
}

/// How far a [`MetricTable`] reached, to undo what was added after
/// ([`MetricTable::checkpoint`], [`MetricTable::rollback`]).
#[derive(Debug, Clone)]
pub(crate) struct Checkpoint {
    rows: Vec<usize>,
    unattributed: RawCounts,
    intervals: usize,
    cells: usize,
}

/// An index that fits `u32`: a table holds far fewer than 2^32 intervals or cells.
fn index(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// One bucket as the table keeps it: its interval and cell by number, its counts packed.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) interval: u32,
    pub(crate) cell: u32,
    pub(crate) counts: CompactCounts,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Strategy {
    pub(crate) id: String,
    pub(crate) rows: Vec<Row>,
    /// The `reported_speed_of_answer` of the rows that have one, by row number, in row order
    /// (only the strategies facade reports averages: a row does not carry room for them).
    reported: Vec<(u32, MeanParts)>,
}

impl Strategy {
    fn new(id: String) -> Self {
        Strategy {
            id,
            ..Strategy::default()
        }
    }

    /// Appends `counts` over the interval and cell numbered `interval` and `cell`.
    fn push(&mut self, interval: u32, cell: u32, counts: &RawCounts) {
        if let Some(parts) = counts.reported_speed_of_answer {
            self.reported.push((index(self.rows.len()), parts));
        }
        self.rows.push(Row {
            interval,
            cell,
            counts: CompactCounts::pack(counts),
        });
    }

    /// The counts of row `at`, whole.
    pub(crate) fn counts(&self, at: usize) -> RawCounts {
        let mut counts = self.rows[at].counts.unpack();
        if !self.reported.is_empty() {
            counts.reported_speed_of_answer = self
                .reported
                .binary_search_by_key(&index(at), |&(row, _)| row)
                .ok()
                .map(|i| self.reported[i].1);
        }
        counts
    }

    /// Forgets every row after the first `len`.
    fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
        let kept = self
            .reported
            .partition_point(|&(row, _)| (row as usize) < len);
        self.reported.truncate(kept);
    }
}

/// What a source measured: per strategy, per bucket (and per cell of the `within` dimensions
/// when the source grouped by more than the strategy), plus what could not be attributed to
/// any strategy (groups that lack the grouping dimension, typically abandons that never
/// reached routing).
///
/// Summing a strategy's buckets ([`StrategyRef::totals`]) gives its figures over every cell:
/// the ranking and the comparison read the same table. Each distinct interval and each
/// distinct cell is stored once; a bucket names them by number, so a long window at `PT1H`
/// costs little more than its counts. Read it through [`MetricTable::strategies`] and
/// [`MetricTable::strategy`]; it serialises as `{"strategies": [{"strategyId", "buckets":
/// [{"interval", "within", "counts"}]}], "within", "unattributed"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "MetricTableFields")]
pub struct MetricTable {
    /// One entry per strategy, in order of first appearance.
    strategies: Vec<Strategy>,
    within: Vec<String>,
    unattributed: RawCounts,
    /// Position of each strategy in `strategies` (the first, where an id appears twice).
    index: HashMap<String, usize>,
    intervals: Interner<String>,
    cells: Interner<Vec<String>>,
}

/// What a [`MetricTable`] deserialises from; the index is rebuilt from it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetricTableFields {
    strategies: Vec<StrategyMetrics>,
    #[serde(default)]
    within: Vec<String>,
    #[serde(default)]
    unattributed: RawCounts,
}

impl From<MetricTableFields> for MetricTable {
    fn from(fields: MetricTableFields) -> Self {
        let mut table = MetricTable::from_strategies(fields.strategies);
        table.unattributed = fields.unattributed;
        table.within = fields.within;
        table
    }
}

impl PartialEq for MetricTable {
    fn eq(&self, other: &Self) -> bool {
        self.within == other.within
            && self.unattributed == other.unattributed
            && self.strategies.len() == other.strategies.len()
            && self.strategies().zip(other.strategies()).all(|(a, b)| {
                a.id() == b.id()
                    && a.buckets().len() == b.buckets().len()
                    && a.buckets().zip(b.buckets()).all(|(x, y)| x == y)
            })
    }
}

impl Serialize for MetricTable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Strategies<'t>(&'t MetricTable);
        impl Serialize for Strategies<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.strategies())
            }
        }
        let fields = 2 + usize::from(!self.within.is_empty());
        let mut out = serializer.serialize_struct("MetricTable", fields)?;
        out.serialize_field("strategies", &Strategies(self))?;
        if self.within.is_empty() {
            out.skip_field("within")?;
        } else {
            out.serialize_field("within", &self.within)?;
        }
        out.serialize_field("unattributed", &self.unattributed)?;
        out.end()
    }
}

impl MetricTable {
    /// An empty table.
    pub fn new() -> Self {
        MetricTable::default()
    }

    /// A table of strategies measured by a source of the caller's own, indexed so that
    /// [`MetricTable::strategy`] finds any of them in O(1). Where an id appears twice, lookups
    /// find its first entry.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts, StrategyMetrics};
    /// let counts = RawCounts { offered: Some(10), answered: Some(9), ..RawCounts::default() };
    /// let table = MetricTable::from_strategies(vec![StrategyMetrics {
    ///     strategy_id: "Bullseye".into(),
    ///     buckets: vec![Bucket::new("2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", counts)],
    /// }]);
    /// assert_eq!(table.strategy("Bullseye").unwrap().totals().answered, Some(9));
    /// ```
    pub fn from_strategies(strategies: Vec<StrategyMetrics>) -> Self {
        let mut table = MetricTable::new();
        for s in strategies {
            let position = table.strategies.len();
            table.index.entry(s.strategy_id.clone()).or_insert(position);
            let mut strategy = Strategy::new(s.strategy_id);
            strategy.rows.reserve_exact(s.buckets.len());
            for b in &s.buckets {
                let (interval, cell) = table.place(&b.interval, &b.within);
                strategy.push(interval, cell, &b.counts);
            }
            table.strategies.push(strategy);
        }
        table
    }

    /// An empty table whose buckets are named by the values of `within` besides the strategy.
    pub fn with_within(within: Vec<String>) -> Self {
        MetricTable {
            within,
            ..MetricTable::default()
        }
    }

    /// Adds one bucket of counts for `strategy_id`, creating the strategy on first sight.
    pub fn push(&mut self, strategy_id: &str, interval: impl AsRef<str>, counts: RawCounts) {
        self.push_row(strategy_id, interval.as_ref(), &[], counts);
    }

    /// Adds `bucket` for `strategy_id`, creating the strategy on first sight. Its
    /// [`within`](Bucket::within) values follow the table's [`within`](MetricTable::within).
    pub fn push_bucket(&mut self, strategy_id: &str, bucket: Bucket) {
        self.push_row(strategy_id, &bucket.interval, &bucket.within, bucket.counts);
    }

    /// Adds one bucket for `strategy_id` over `interval` in the cell `within`, copying the
    /// interval and the cell only the first time the table sees them.
    pub(crate) fn push_row(
        &mut self,
        strategy_id: &str,
        interval: &str,
        within: &[String],
        counts: RawCounts,
    ) {
        let (interval, cell) = self.place(interval, within);
        let position = self.strategy_position(strategy_id);
        self.strategies[position].push(interval, cell, &counts);
    }

    /// The position of `strategy_id`, the strategy created on first sight.
    /// How far the table reaches now: [`rollback`](Self::rollback) undoes what is added
    /// after.
    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            rows: self.strategies.iter().map(|s| s.rows.len()).collect(),
            unattributed: self.unattributed,
            intervals: self.intervals.values.len(),
            cells: self.cells.values.len(),
        }
    }

    /// Undoes everything added since `checkpoint` (strategies, buckets, unattributed counts,
    /// intervals and cells), leaving the table as it was then.
    pub(crate) fn rollback(&mut self, checkpoint: &Checkpoint) {
        let kept = checkpoint.rows.len();
        if self.strategies.len() > kept {
            self.strategies.truncate(kept);
            self.index.retain(|_, &mut i| i < kept);
        }
        for (strategy, &len) in self.strategies.iter_mut().zip(&checkpoint.rows) {
            strategy.truncate(len);
        }
        self.unattributed = checkpoint.unattributed;
        self.intervals.truncate(checkpoint.intervals);
        self.cells.truncate(checkpoint.cells);
    }

    pub(crate) fn strategy_position(&mut self, strategy_id: &str) -> usize {
        match self.index.get(strategy_id) {
            Some(&i) => i,
            None => {
                let i = self.strategies.len();
                self.index.insert(strategy_id.to_owned(), i);
                self.strategies.push(Strategy::new(strategy_id.to_owned()));
                i
            }
        }
    }

    /// The number of the cell `within`, stored on first sight.
    pub(crate) fn cell_id(&mut self, within: &[String]) -> u32 {
        self.cells.id(within, <[String]>::to_vec)
    }

    /// Adds one bucket over `interval` in the cell numbered `cell` (from
    /// [`cell_id`](Self::cell_id)) to the strategy at `position` (from
    /// [`strategy_position`](Self::strategy_position)). `last` is the number of the interval
    /// pushed before (`u32::MAX` at first), updated: a group's buckets follow the intervals
    /// of the group before, so the next number is tried before a lookup.
    pub(crate) fn push_at(
        &mut self,
        position: usize,
        interval: &str,
        cell: u32,
        counts: &RawCounts,
        last: &mut u32,
    ) {
        let next = last.wrapping_add(1);
        let interval = match self.intervals.values.get(next as usize) {
            Some(known) if known == interval => next,
            _ => self.intervals.id(interval, str::to_owned),
        };
        *last = interval;
        self.strategies[position].push(interval, cell, counts);
    }

    /// The numbers of `interval` and of the cell `within`, each stored on first sight.
    fn place(&mut self, interval: &str, within: &[String]) -> (u32, u32) {
        (
            self.intervals.id(interval, str::to_owned),
            self.cell_id(within),
        )
    }

    /// Adds counts that belong to no strategy.
    pub fn push_unattributed(&mut self, counts: RawCounts) {
        self.unattributed.add(&counts);
    }

    /// Appends every bucket of `other` (a later window chunk, say) to this table. Both are
    /// expected to have the same [`within`](MetricTable::within) dimensions; an empty table
    /// takes `other`'s.
    pub fn merge(&mut self, other: MetricTable) {
        if self.within.is_empty() && self.strategies.is_empty() {
            self.within.clone_from(&other.within);
        }
        let intervals: Vec<u32> = other
            .intervals
            .values
            .iter()
            .map(|i| self.intervals.id(i.as_str(), str::to_owned))
            .collect();
        let cells: Vec<u32> = other.cells.values.iter().map(|c| self.cell_id(c)).collect();
        for s in other.strategies {
            let position = self.strategy_position(&s.id);
            let into = &mut self.strategies[position];
            let offset = index(into.rows.len());
            into.rows.extend(s.rows.into_iter().map(|r| Row {
                interval: intervals[r.interval as usize],
                cell: cells[r.cell as usize],
                counts: r.counts,
            }));
            into.reported.extend(
                s.reported
                    .into_iter()
                    .map(|(row, parts)| (offset.saturating_add(row), parts)),
            );
        }
        self.unattributed.add(&other.unattributed);
    }

    /// The strategy with this id.
    pub fn strategy(&self, strategy_id: &str) -> Option<StrategyRef<'_>> {
        let &i = self.index.get(strategy_id)?;
        Some(StrategyRef {
            table: self,
            strategy: &self.strategies[i],
        })
    }

    /// Every strategy, in order of first appearance.
    pub fn strategies(&self) -> impl ExactSizeIterator<Item = StrategyRef<'_>> + '_ {
        self.strategies.iter().map(move |strategy| StrategyRef {
            table: self,
            strategy,
        })
    }

    /// The dimensions besides the strategy's that name a bucket's cell (`queueId`, say), in
    /// the order of each bucket's [`within`](BucketRef::within) values; empty when the source
    /// grouped by the strategy alone.
    pub fn within(&self) -> &[String] {
        &self.within
    }

    /// Counts of groups without the grouping dimension, merged.
    pub fn unattributed(&self) -> &RawCounts {
        &self.unattributed
    }

    /// How many buckets the table holds, over every strategy.
    pub fn bucket_count(&self) -> usize {
        self.strategies.iter().map(|s| s.rows.len()).sum()
    }

    /// About how many bytes of heap the table holds (its vectors' and strings' capacities,
    /// its maps' slots); for benchmarks.
    #[doc(hidden)]
    pub fn heap_bytes(&self) -> usize {
        fn map<K, V>(m: &HashMap<K, V>) -> usize {
            m.capacity() * (size_of::<(K, V)>() + 1)
        }
        let strings = |v: &[String]| v.iter().map(String::capacity).sum::<usize>();
        self.strategies.capacity() * size_of::<Strategy>()
            + self
                .strategies
                .iter()
                .map(|s| {
                    s.id.capacity()
                        + s.rows.capacity() * size_of::<Row>()
                        + s.reported.capacity() * size_of::<(u32, MeanParts)>()
                })
                .sum::<usize>()
            + map(&self.index)
            + self.index.keys().map(String::capacity).sum::<usize>()
            + self.within.capacity() * size_of::<String>()
            + strings(&self.within)
            + self.intervals.values.capacity() * size_of::<String>()
            + 2 * strings(&self.intervals.values)
            + map(&self.intervals.index)
            + 2 * self
                .cells
                .values
                .iter()
                .map(|c| c.capacity() * size_of::<String>() + strings(c))
                .sum::<usize>()
            + self.cells.values.capacity() * size_of::<Vec<String>>()
            + map(&self.cells.index)
    }

    /// The strategies as stored, for the comparison's reading of the table in place.
    pub(crate) fn stored(&self) -> &[Strategy] {
        &self.strategies
    }

    /// Every distinct interval, by number.
    pub(crate) fn intervals(&self) -> &[String] {
        &self.intervals.values
    }

    /// Every distinct cell (its within values), by number.
    pub(crate) fn cells(&self) -> &[Vec<String>] {
        &self.cells.values
    }
}

/// One strategy of a [`MetricTable`], borrowed.
#[derive(Debug, Clone, Copy)]
pub struct StrategyRef<'t> {
    table: &'t MetricTable,
    strategy: &'t Strategy,
}

impl<'t> StrategyRef<'t> {
    /// The strategy: a value of the grouping dimension (`Bullseye`, a queue id, ...).
    pub fn id(&self) -> &'t str {
        &self.strategy.id
    }

    /// Its buckets, in the order the source returned them.
    pub fn buckets(&self) -> impl ExactSizeIterator<Item = BucketRef<'t>> + use<'t> {
        let (table, strategy) = (self.table, self.strategy);
        strategy
            .rows
            .iter()
            .enumerate()
            .map(move |(at, row)| BucketRef {
                interval: &table.intervals.values[row.interval as usize],
                within: &table.cells.values[row.cell as usize],
                counts: strategy.counts(at),
            })
    }

    /// The counts of every bucket added together.
    pub fn totals(&self) -> RawCounts {
        let mut total = RawCounts::default();
        for at in 0..self.strategy.rows.len() {
            total.add(&self.strategy.counts(at));
        }
        total
    }

    /// An owned copy.
    pub fn to_metrics(&self) -> StrategyMetrics {
        StrategyMetrics {
            strategy_id: self.strategy.id.clone(),
            buckets: self.buckets().map(|b| b.to_bucket()).collect(),
        }
    }
}

impl Serialize for StrategyRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Buckets<'a, 't>(&'a StrategyRef<'t>);
        impl Serialize for Buckets<'_, '_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(Some(self.0.strategy.rows.len()))?;
                for bucket in self.0.buckets() {
                    seq.serialize_element(&bucket)?;
                }
                seq.end()
            }
        }
        let mut out = serializer.serialize_struct("StrategyMetrics", 2)?;
        out.serialize_field("strategyId", self.id())?;
        out.serialize_field("buckets", &Buckets(self))?;
        out.end()
    }
}

/// One bucket of a [`MetricTable`], borrowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketRef<'t> {
    interval: &'t str,
    within: &'t [String],
    counts: RawCounts,
}

impl<'t> BucketRef<'t> {
    /// The bucket's interval, ISO-8601 `start/end`, as the source gave it.
    pub fn interval(&self) -> &'t str {
        self.interval
    }

    /// The values of the table's [`within`](MetricTable::within) dimensions for this bucket,
    /// in their order (`""` where the group lacked one); empty when the table has none.
    pub fn within(&self) -> &'t [String] {
        self.within
    }

    /// What was measured in it (a copy: the table keeps counts packed).
    pub fn counts(&self) -> RawCounts {
        self.counts
    }

    /// An owned copy.
    pub fn to_bucket(&self) -> Bucket {
        Bucket::new(self.interval, self.counts).in_cell(self.within.to_vec())
    }
}

impl Serialize for BucketRef<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = 2 + usize::from(!self.within.is_empty());
        let mut out = serializer.serialize_struct("Bucket", fields)?;
        out.serialize_field("interval", self.interval)?;
        if self.within.is_empty() {
            out.skip_field("within")?;
        } else {
            out.serialize_field("within", self.within)?;
        }
        out.serialize_field("counts", &self.counts)?;
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strategy(id: &str, offered: u64) -> StrategyMetrics {
        StrategyMetrics {
            strategy_id: id.to_owned(),
            buckets: vec![Bucket::new(
                "a",
                RawCounts {
                    offered: Some(offered),
                    ..Default::default()
                },
            )],
        }
    }

    #[test]
    fn tables_from_strategies_and_from_json_are_indexed() {
        let table = MetricTable::from_strategies(vec![
            strategy("a", 1),
            strategy("b", 2),
            strategy("a", 3),
        ]);
        assert_eq!(table.index.len(), 2);
        assert_eq!(table.strategies().len(), 3);
        assert_eq!(
            table.strategy("a").unwrap().totals().offered,
            Some(1),
            "first wins"
        );
        assert_eq!(table.strategy("b").unwrap().totals().offered, Some(2));
        assert!(table.strategy("c").is_none());

        let many = MetricTable::from_strategies(
            (0..1000).map(|i| strategy(&format!("s{i}"), i)).collect(),
        );
        let json = serde_json::to_string(&many).unwrap();
        let read: MetricTable = serde_json::from_str(&json).unwrap();
        assert_eq!(read, many);
        assert_eq!(read.index.len(), 1000, "deserialising rebuilds the index");
        for i in [0, 499, 999] {
            let id = format!("s{i}");
            assert_eq!(read.strategy(&id).unwrap().id(), id);
            assert_eq!(read.index.get(&id), Some(&(i as usize)));
        }
        assert_eq!(read.intervals().len(), 1, "one interval, stored once");
    }

    #[test]
    fn the_json_shape_is_the_owned_types() {
        let mut table = MetricTable::with_within(vec!["queueId".into()]);
        let counts = RawCounts {
            offered: Some(4),
            ..RawCounts::default()
        };
        table.push_bucket("S", Bucket::new("i1", counts).in_cell(vec!["q1".into()]));
        table.push_bucket("S", Bucket::new("i2", counts).in_cell(vec!["q1".into()]));
        table.push_bucket("P", Bucket::new("i1", counts).in_cell(vec!["q2".into()]));
        table.push_unattributed(counts);
        let owned = serde_json::json!({
            "strategies": table.strategies().map(|s| s.to_metrics()).collect::<Vec<_>>(),
            "within": ["queueId"],
            "unattributed": counts,
        });
        assert_eq!(serde_json::to_value(&table).unwrap(), owned);
        let read: MetricTable = serde_json::from_value(owned).unwrap();
        assert_eq!(read, table);
        assert_eq!(
            serde_json::to_value(MetricTable::new()).unwrap(),
            serde_json::json!({"strategies": [], "unattributed": {}})
        );
        let bucket = table.strategy("S").unwrap().buckets().nth(1).unwrap();
        assert_eq!(
            (bucket.interval(), bucket.within(), bucket.counts()),
            ("i2", &["q1".to_owned()][..], counts)
        );
        assert_eq!(table.cells().len(), 2);
        assert_eq!(table.intervals().len(), 2);
        assert_eq!(table.bucket_count(), 3);
    }

    #[test]
    fn reported_averages_stay_with_their_bucket_through_merge_and_rollback() {
        let plain = RawCounts {
            offered: Some(1),
            ..RawCounts::default()
        };
        let reported = |value| RawCounts {
            reported_speed_of_answer: Some(MeanParts::of(value, 2.0)),
            ..plain
        };
        let mut first = MetricTable::new();
        first.push("S", "a", plain);
        first.push("S", "b", reported(3.0));
        let mut second = MetricTable::new();
        second.push("S", "c", reported(5.0));
        second.push("S", "d", plain);
        first.merge(second);
        let counts = |t: &MetricTable| -> Vec<RawCounts> {
            t.strategy("S")
                .unwrap()
                .buckets()
                .map(|b| b.counts())
                .collect()
        };
        assert_eq!(
            counts(&first),
            [plain, reported(3.0), reported(5.0), plain],
            "each bucket keeps its own average, none moves to a neighbour"
        );
        let whole = first.strategy("S").unwrap().totals();
        assert_eq!(whole.reported_speed_of_answer.map(|p| p.samples), Some(2));

        let before = first.checkpoint();
        first.push("S", "e", reported(7.0));
        first.push("S", "f", plain);
        first.rollback(&before);
        first.push("S", "g", plain);
        assert_eq!(
            counts(&first),
            [plain, reported(3.0), reported(5.0), plain, plain],
            "a rolled-back average does not come back on the next bucket"
        );
    }

    #[test]
    fn merge_appends_buckets_per_strategy() {
        let offered = |n| RawCounts {
            offered: Some(n),
            ..Default::default()
        };
        let mut first = MetricTable::new();
        first.push("Bullseye", "a", offered(1));
        let mut second = MetricTable::new();
        second.push("Bullseye", "b", offered(2));
        second.push("Standard", "b", offered(3));
        second.push("Standard", "a", offered(4));
        first.merge(second);
        assert_eq!(first.strategies().len(), 2);
        assert_eq!(
            first.strategy("Bullseye").unwrap().totals().offered,
            Some(3)
        );
        let intervals: Vec<&str> = first
            .strategy("Standard")
            .unwrap()
            .buckets()
            .map(|b| b.interval())
            .collect();
        assert_eq!(intervals, ["b", "a"]);
        assert_eq!(first.intervals().len(), 2);
    }
}
