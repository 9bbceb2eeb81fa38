//! Decoding an aggregates results page straight into a [`MetricTable`].
//!
//! A decoded [`ResultsPage`](super::ResultsPage) takes about 3.8x its JSON (every metric
//! becomes a `MetricValue` with nine optional stats), and a page may hold a single group of
//! thousands of buckets. So instead of building the page, these seeds walk it: each bucket is
//! decoded alone, summed into [`RawCounts`] and pushed, in the order [`add_groups`] pushes a
//! decoded page's buckets. A page then costs its raw body plus one bucket.
//!
//! Error behaviour follows the derived decoders (same expectations, duplicate fields refused,
//! unknown fields ignored) so that messages and JSON paths read as before.
//!
//! [`add_groups`]: super::add_groups

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{IntervalData, TableLayout, add_bucket, bucket_counts};
use crate::metrics::{Bucket, MetricTable, RawCounts};

/// What is left of a page once its groups are in the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageSummary {
    /// Groups the page held.
    pub(crate) groups: usize,
    /// The next page's cursor, as sent.
    pub(crate) cursor: Option<String>,
}

/// Decodes one results page into `table`, placing groups as `layout` says, as
/// [`add_groups`](super::add_groups) does.
pub(crate) struct PageIntoTable<'a> {
    table: &'a mut MetricTable,
    layout: &'a TableLayout,
}

impl<'a> PageIntoTable<'a> {
    pub(crate) fn new(table: &'a mut MetricTable, layout: &'a TableLayout) -> Self {
        PageIntoTable { table, layout }
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum PageField {
    Results,
    Cursor,
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum GroupField {
    Group,
    Data,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for PageIntoTable<'_> {
    type Value = PageSummary;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<PageSummary, D::Error> {
        deserializer.deserialize_struct("ResultsPage", &["results", "cursor"], self)
    }
}

impl<'de> Visitor<'de> for PageIntoTable<'_> {
    type Value = PageSummary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct ResultsPage")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PageSummary, A::Error> {
        let mut groups = None;
        let mut cursor = None;
        while let Some(field) = map.next_key()? {
            match field {
                PageField::Results if groups.is_some() => {
                    return Err(de::Error::duplicate_field("results"));
                }
                PageField::Results => {
                    let seed = GroupsIntoTable {
                        table: &mut *self.table,
                        layout: self.layout,
                    };
                    groups = Some(map.next_value_seed(seed)?);
                }
                PageField::Cursor if cursor.is_some() => {
                    return Err(de::Error::duplicate_field("cursor"));
                }
                PageField::Cursor => cursor = Some(map.next_value::<Option<String>>()?),
                PageField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(PageSummary {
            groups: groups.unwrap_or(0),
            cursor: cursor.flatten(),
        })
    }
}

/// The page's `results`: one group at a time.
struct GroupsIntoTable<'a> {
    table: &'a mut MetricTable,
    layout: &'a TableLayout,
}

impl<'de> DeserializeSeed<'de> for GroupsIntoTable<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for GroupsIntoTable<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut groups = 0;
        loop {
            let seed = GroupIntoTable {
                table: &mut *self.table,
                layout: self.layout,
            };
            if seq.next_element_seed(seed)?.is_none() {
                return Ok(groups);
            }
            groups += 1;
        }
    }
}

/// One group: its buckets go to the strategy and cell its `group` names.
struct GroupIntoTable<'a> {
    table: &'a mut MetricTable,
    layout: &'a TableLayout,
}

impl<'de> DeserializeSeed<'de> for GroupIntoTable<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_struct("AggregateGroup", &["group", "data"], self)
    }
}

impl<'de> Visitor<'de> for GroupIntoTable<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct AggregateGroup")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // `None` until `group` is read: JSON does not order keys, and buckets read before it
        // wait (as compact counts) for the strategy and cell they belong to.
        let mut place: Option<Place> = None;
        let mut waiting: Vec<(String, RawCounts)> = Vec::new();
        let mut data_seen = false;
        while let Some(field) = map.next_key()? {
            match field {
                GroupField::Group if place.is_some() => {
                    return Err(de::Error::duplicate_field("group"));
                }
                GroupField::Group => {
                    let group: BTreeMap<String, String> = map.next_value()?;
                    let found = self.layout.place(group);
                    for (interval, counts) in waiting.drain(..) {
                        push(self.table, self.layout, &found, interval, counts);
                    }
                    place = Some(found);
                }
                GroupField::Data if data_seen => {
                    return Err(de::Error::duplicate_field("data"));
                }
                GroupField::Data => {
                    data_seen = true;
                    map.next_value_seed(BucketsIntoTable {
                        table: &mut *self.table,
                        layout: self.layout,
                        place: place.as_ref(),
                        waiting: &mut waiting,
                    })?;
                }
                GroupField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // No `group` at all: as an empty one, the buckets are unattributed.
        let nowhere = (None, Vec::new());
        for (interval, counts) in waiting {
            push(self.table, self.layout, &nowhere, interval, counts);
        }
        Ok(())
    }
}

/// A group's strategy (`None`: it lacks the treatment) and cell values.
type Place = (Option<String>, Vec<String>);

fn push(
    table: &mut MetricTable,
    layout: &TableLayout,
    (strategy, cell): &Place,
    interval: String,
    counts: RawCounts,
) {
    let bucket = Bucket::new(interval, layout.complete(counts)).in_cell(cell.clone());
    add_bucket(table, strategy.as_deref(), bucket);
}

/// A group's `data`: each bucket decoded alone and pushed, or kept waiting for the strategy.
struct BucketsIntoTable<'a, 's> {
    table: &'a mut MetricTable,
    layout: &'a TableLayout,
    /// Where the buckets go, once the group is known.
    place: Option<&'s Place>,
    waiting: &'a mut Vec<(String, RawCounts)>,
}

impl<'de> DeserializeSeed<'de> for BucketsIntoTable<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BucketsIntoTable<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(bucket) = seq.next_element::<IntervalData>()? {
            let counts = bucket_counts(&bucket);
            match self.place {
                Some(place) => push(self.table, self.layout, place, bucket.interval, counts),
                None => self.waiting.push((bucket.interval, counts)),
            }
        }
        Ok(())
    }
}
