//! Ranking a column: its present values in ascending order, grouped into ties. The one step
//! of scoring that is not a single linear pass.
//!
//! Each present value goes into one `u64`: the high bits of an integer that orders like the
//! float, the low bits its row. Sorting those integers is about twice as fast as sorting
//! `(f64, u32)` pairs (half the bytes to move, integer compares) and needs half the scratch
//! memory. Values that share the high bits are then compared in full, which only costs
//! anything for true ties or values closer than about one part in 2^32.

/// Buffers for ranking, reused from one column to the next.
#[derive(Debug, Default)]
pub(crate) struct Ranker {
    /// Present values as `high bits of the order key | row`, ascending once sorted.
    entries: Vec<u64>,
}

/// The present values of a column, sorted; see [`Ranker::sort`].
pub(crate) struct Ranked<'a> {
    entries: &'a mut [u64],
    values: &'a [f64],
    /// The low bits of an entry that hold its row.
    row_mask: u64,
}

impl Ranker {
    /// Sorts the present (finite) values of `values`, ascending.
    pub(crate) fn sort<'a>(&'a mut self, values: &'a [f64]) -> Ranked<'a> {
        let row_bits = u64::BITS - (values.len().max(1) as u64 - 1).leading_zeros();
        let row_mask = (1_u64 << row_bits) - 1;
        self.entries.clear();
        self.entries.reserve(values.len());
        self.entries.extend(
            values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(row, &v)| order_key(v) & !row_mask | row as u64),
        );
        self.entries.sort_unstable();
        Ranked {
            entries: &mut self.entries,
            values,
            row_mask,
        }
    }
}

impl Ranked<'_> {
    /// How many values are present.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether every present value is the same (true when there are none).
    pub(crate) fn all_equal(&self) -> bool {
        match (self.entries.first(), self.entries.last()) {
            (Some(&first), Some(&last)) => {
                full_key(self.values, self.row_mask, first)
                    == full_key(self.values, self.row_mask, last)
            }
            _ => true,
        }
    }

    /// Calls `f` once per distinct present value, ascending, with the rows holding it and
    /// their average 1-based rank among the present values (as pandas' `method="average"`).
    pub(crate) fn for_each_tie_group(self, mut f: impl FnMut(Rows<'_>, f64)) {
        let (row_mask, values) = (self.row_mask, self.values);
        let key = |entry: u64| full_key(values, row_mask, entry);
        let entries = self.entries;
        let mut start = 0;
        while start < entries.len() {
            // Entries whose high bits agree: one value, or values that differ only in the
            // bits the row took, to be told apart by their full keys.
            let high = entries[start] & !row_mask;
            let run_end = start
                + entries[start..]
                    .iter()
                    .take_while(|&&e| e & !row_mask == high)
                    .count();
            let run = &mut entries[start..run_end];
            if run.len() > 1 && !run.is_sorted_by_key(|&e| key(e)) {
                run.sort_unstable_by_key(|&e| key(e));
            }
            let mut group_start = 0;
            while group_start < run.len() {
                let value = key(run[group_start]);
                let group_len = match run.len() {
                    1 => 1,
                    _ => run[group_start..]
                        .iter()
                        .take_while(|&&e| key(e) == value)
                        .count(),
                };
                let (first, last) = (start + group_start + 1, start + group_start + group_len);
                // The mean of the 1-based positions first..=last; exact in f64, as pandas
                // computes it.
                let average_rank = (first + last) as f64 / 2.0;
                let group = &run[group_start..group_start + group_len];
                f(Rows { group, row_mask }, average_rank);
                group_start += group_len;
            }
            start = run_end;
        }
    }
}

/// The full order key of the value an entry stands for.
fn full_key(values: &[f64], row_mask: u64, entry: u64) -> u64 {
    order_key(values[(entry & row_mask) as usize])
}

/// The rows of one tie group.
pub(crate) struct Rows<'a> {
    group: &'a [u64],
    row_mask: u64,
}

impl Rows<'_> {
    /// The rows, as indices into the ranked column.
    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.group.iter().map(|&e| (e & self.row_mask) as usize)
    }
}

/// An integer that sorts like `v` among non-NaN floats, with -0.0 equal to 0.0: positives
/// keep their bit order above the negatives, whose bits are flipped so larger magnitudes
/// come first.
#[inline]
fn order_key(v: f64) -> u64 {
    // +0.0 turns -0.0 into 0.0, so the two tie.
    let bits = (v + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Every tie group as (value, rows sorted, average rank).
    fn groups(values: &[f64]) -> Vec<(f64, Vec<usize>, f64)> {
        let mut ranker = Ranker::default();
        let mut out = Vec::new();
        ranker.sort(values).for_each_tie_group(|rows, rank| {
            let mut rows: Vec<usize> = rows.iter().collect();
            rows.sort_unstable();
            out.push((values[rows[0]] + 0.0, rows, rank));
        });
        out
    }

    /// The reference: pairs sorted by `total_cmp`, grouped by equality.
    fn reference(values: &[f64]) -> Vec<(f64, Vec<usize>, f64)> {
        let mut pairs: Vec<(f64, usize)> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.is_finite())
            .map(|(i, &v)| (v + 0.0, i))
            .collect();
        pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut out: Vec<(f64, Vec<usize>, f64)> = Vec::new();
        let mut start = 0;
        while start < pairs.len() {
            let end = start
                + pairs[start..]
                    .iter()
                    .take_while(|p| p.0 == pairs[start].0)
                    .count();
            let rows = pairs[start..end].iter().map(|p| p.1).collect();
            out.push((pairs[start].0, rows, (start + 1 + end) as f64 / 2.0));
            start = end;
        }
        out
    }

    fn assert_ranks_like_the_reference(values: &[f64]) {
        let (ours, reference) = (groups(values), reference(values));
        assert_eq!(ours.len(), reference.len());
        for (a, b) in ours.iter().zip(&reference) {
            assert_eq!(a.0.to_bits(), b.0.to_bits());
            assert_eq!(a.1, b.1, "rows of {}", a.0);
            assert_eq!(a.2, b.2, "average rank of {}", a.0);
        }
    }

    #[test]
    fn groups_ties_and_ranks_like_a_sort_of_the_values() {
        // Negative and positive, tiny and huge, ties, both zeros, missing values, and values
        // closer together than the bits an entry keeps of them.
        let values: Vec<f64> = (0..50_000_u32)
            .map(|i| match i % 10 {
                0 => -(f64::from(i) * 1e-3),
                1 => f64::from(i % 17),
                2 => 1e300 / f64::from(i + 1),
                3 => -1e-300 * f64::from(i),
                4 => f64::from(i).sin(),
                5 => 0.0,
                6 => -0.0,
                7 => f64::NAN,
                8 => 0.5 + f64::from(i % 5) * f64::EPSILON,
                _ => f64::from(i) / 50_000.0,
            })
            .collect();
        assert_ranks_like_the_reference(&values);
    }

    #[test]
    fn small_columns_and_missing_only_columns() {
        assert_ranks_like_the_reference(&[]);
        assert_ranks_like_the_reference(&[f64::NAN, f64::INFINITY]);
        assert_ranks_like_the_reference(&[3.0]);
        assert_ranks_like_the_reference(&[2.0, 1.0, 2.0]);
        let mut ranker = Ranker::default();
        assert!(ranker.sort(&[f64::NAN]).all_equal());
        assert!(ranker.sort(&[1.0, f64::NAN, 1.0]).all_equal());
        assert!(!ranker.sort(&[1.0, 1.0 + f64::EPSILON]).all_equal());
        assert_eq!(ranker.sort(&[1.0, f64::NAN, 2.0]).len(), 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn ranks_agree_with_the_reference(
            values in prop::collection::vec(
                prop_oneof![
                    0.0..1.0_f64,
                    (0..10_u8).prop_map(f64::from),
                    (0..4_u8).prop_map(|k| 0.25 + f64::from(k) * f64::EPSILON),
                    any::<f64>(),
                ],
                0..3000,
            )
        ) {
            let (ours, reference) = (groups(&values), reference(&values));
            prop_assert_eq!(ours.len(), reference.len());
            for (a, b) in ours.iter().zip(&reference) {
                prop_assert_eq!(a.0.to_bits(), b.0.to_bits());
                prop_assert_eq!(&a.1, &b.1);
                prop_assert_eq!(a.2, b.2);
            }
        }
    }
}
