//! Strategy ids stored end to end in one string, so a million rows cost one buffer and an
//! offset each instead of a million allocations.

use std::fmt;
use std::ops::Index;

/// The strategy ids of a [`Cohort`](super::Cohort) or [`Scores`](super::Scores), in input
/// order.
///
/// The ids live end to end in one buffer with an offset per id: appending one copies its
/// bytes and allocates nothing of its own, and reading one is a slice.
///
/// # Example
/// ```
/// use genesys_routing_eval::scoring::Cohort;
/// let mut cohort = Cohort::new();
/// cohort.push("Bullseye", [("handledCalls", 120.0)]);
/// cohort.push("Standard", [("handledCalls", 95.0)]);
/// let ids = cohort.ids();
/// assert_eq!(ids.len(), 2);
/// assert_eq!(&ids[1], "Standard");
/// assert!(ids.iter().eq(["Bullseye", "Standard"]));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StrategyIds {
    /// Every id, end to end.
    text: String,
    /// Where each id ends in `text`; id `i` starts where id `i - 1` ends.
    ends: Vec<usize>,
}

impl StrategyIds {
    /// Room for `ids` ids of `text_bytes` bytes together, so appending them does not move
    /// the buffers.
    pub(crate) fn with_capacity(ids: usize, text_bytes: usize) -> Self {
        StrategyIds {
            text: String::with_capacity(text_bytes),
            ends: Vec::with_capacity(ids),
        }
    }

    /// How many ids fit before the offsets move.
    pub(crate) fn capacity(&self) -> usize {
        self.ends.capacity()
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no ids.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Id `index`, in input order.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1],
        };
        Some(&self.text[start..end])
    }

    /// Every id, in input order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            ids: self,
            front: 0,
            back: self.len(),
        }
    }

    /// Appends `id`.
    pub(crate) fn push(&mut self, id: &str) {
        self.text.push_str(id);
        self.ends.push(self.text.len());
    }

    /// Appends every id of `other`, in order.
    pub(crate) fn extend_from(&mut self, other: &StrategyIds) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }
}

impl Index<usize> for StrategyIds {
    type Output = str;

    /// Id `index`.
    ///
    /// # Panics
    /// When `index` is out of range, like a slice.
    fn index(&self, index: usize) -> &str {
        match self.get(index) {
            Some(id) => id,
            None => panic!(
                "strategy id index {index} out of range for {} ids",
                self.len()
            ),
        }
    }
}

impl<'a> IntoIterator for &'a StrategyIds {
    type Item = &'a str;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The ids of a [`StrategyIds`], in input order; see [`StrategyIds::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    ids: &'a StrategyIds,
    /// The next id from the front.
    front: usize,
    /// One past the next id from the back.
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        self.ids.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.back - self.front;
        (left, Some(left))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.ids.get(self.back)
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl fmt::Debug for StrategyIds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_back_in_order_including_empty_and_non_ascii_ones() {
        let given = ["a", "", "ünï©ødé", "s-0000001", ""];
        let mut ids = StrategyIds::default();
        for id in given {
            ids.push(id);
        }
        assert_eq!(ids.len(), given.len());
        assert!(ids.iter().eq(given));
        assert!(ids.iter().rev().eq(given.iter().rev().copied()));
        assert_eq!(ids.get(2), Some("ünï©ødé"));
        assert_eq!(ids.get(5), None);
        assert_eq!(format!("{ids:?}"), format!("{given:?}"));
    }

    #[test]
    fn extending_appends_the_other_ids_after_these() {
        let mut first = StrategyIds::default();
        first.push("x");
        first.push("yy");
        let mut second = StrategyIds::default();
        second.push("zzz");
        second.push("");
        first.extend_from(&second);
        assert!(first.iter().eq(["x", "yy", "zzz", ""]));
        assert_eq!(&first[2], "zzz");
    }
}
