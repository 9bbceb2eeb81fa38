//! Decoding an aggregates results page straight into a [`MetricTable`].
//!
//! A decoded [`ResultsPage`](super::ResultsPage) takes about 3.8x its JSON (every metric
//! becomes a `MetricValue` with nine optional stats), and a page may hold a single group of
//! thousands of buckets. So instead of building the page, these seeds walk it: each bucket is
//! read alone (names borrowed from the page), summed into [`RawCounts`] and pushed, in the order [`add_groups`] pushes a
//! decoded page's buckets. A page then costs its raw body plus one bucket.
//!
//! Error behaviour follows the derived decoders (same expectations, duplicate fields refused,
//! unknown fields ignored) so that messages and JSON paths read as before, except that of a
//! metric's stats only those a count is filled from are read: the others are skipped as
//! unknown fields are.
//!
//! [`add_groups`]: super::add_groups

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use std::borrow::Cow;

use super::wire::RESULTS_PAGE;
use super::wire::{RoutingMetric, add_counts_of_known};
use super::{Stats, TableLayout};
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::{MetricTable, RawCounts};

/// Decodes one results page `body` into `table`, as [`PageIntoTable`] does, with the errors of
/// the HTTP core's decoder (naming the JSON path, and `correlation_id` when there is one).
///
/// The page is read first by `sonic-rs`, without tracking the JSON path: tracking copies
/// every key of the page into a `String` (a bucket has a dozen keys), and `sonic-rs` reads
/// the accepted pages faster than `serde_json`. Only when that read fails is the page read
/// again by `serde_json` with the path tracked, into a table thrown away, so that the error
/// names where the page went wrong (both reads go through the same seeds). Where `serde_json`
/// accepts a page `sonic-rs` refused (invalid UTF-8 inside a value no count reads, which
/// `serde_json` skips unchecked), what the first read added is undone and `serde_json` reads
/// the page into `table`, so that it adds what `serde_json` reads. (`sonic-rs` allows 255
/// levels of nesting where `serde_json` allows 128: a page nested deeper than 128 in a value
/// nothing reads is accepted.) Groups read before a fault may already be in `table`.
pub(crate) fn decode_page(
    body: &[u8],
    correlation_id: Option<&str>,
    table: &mut MetricTable,
    layout: &TableLayout,
) -> Result<PageSummary> {
    let before = table.checkpoint();
    let mut de = sonic_rs::Deserializer::from_slice(body);
    let untracked = match PageIntoTable::new(table, layout).deserialize(&mut de) {
        Ok(summary) => return Ok(summary),
        Err(e) => e,
    };
    let mut scratch = layout.empty_table();
    let error = match crate::http::decode_json_seed(
        body,
        PageIntoTable::new(&mut scratch, layout),
        RESULTS_PAGE,
    ) {
        Err(tracked) => {
            // A page is in the table whole or not at all, whoever reads the table next.
            table.rollback(&before);
            tracked
        }
        Ok(_) => {
            table.rollback(&before);
            let mut de = serde_json::Deserializer::from_slice(body);
            match PageIntoTable::new(table, layout).deserialize(&mut de) {
                Ok(summary) => return Ok(summary),
                // Not expected (the same bytes, the same seeds, the same reader).
                Err(again) => Error::new(
                    ErrorKind::Decode,
                    format!(
                        "could not decode the {RESULTS_PAGE}: {again} ({untracked}); the server sent an unexpected or incomplete body"
                    ),
                ),
            }
        }
    };
    Err(match correlation_id {
        Some(id) => error.with_correlation_id(id.to_owned()),
        None => error,
    })
}

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
        // wait (their counts complete) for the strategy and cell they belong to.
        let mut place: Option<Place> = None;
        let mut waiting: Vec<(Cow<'de, str>, RawCounts)> = Vec::new();
        let mut data_seen = false;
        while let Some(field) = map.next_key()? {
            match field {
                GroupField::Group if place.is_some() => {
                    return Err(de::Error::duplicate_field("group"));
                }
                GroupField::Group => {
                    let group: BTreeMap<String, String> = map.next_value()?;
                    let (strategy, cell) = self.layout.place(group);
                    let mut found = Place {
                        strategy,
                        cell,
                        at: None,
                        last: u32::MAX,
                    };
                    for (interval, counts) in waiting.drain(..) {
                        push(self.table, &mut found, &interval, &counts);
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
                        place: place.as_mut(),
                        waiting: &mut waiting,
                    })?;
                }
                GroupField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        // No `group` at all: as an empty one, the buckets are unattributed.
        let mut nowhere = Place {
            strategy: None,
            cell: Vec::new(),
            at: None,
            last: u32::MAX,
        };
        for (interval, counts) in waiting {
            push(self.table, &mut nowhere, &interval, &counts);
        }
        Ok(())
    }
}

/// Where a group's buckets go.
struct Place {
    /// Its strategy (`None`: it lacks the treatment).
    strategy: Option<String>,
    /// Its cell values.
    cell: Vec<String>,
    /// The strategy's position in the table and the cell's number, once a bucket needed them
    /// (a group without buckets adds no strategy).
    at: Option<(usize, u32)>,
    /// The number of the interval of the bucket before.
    last: u32,
}

/// Adds one bucket's [complete](TableLayout::complete) counts, as
/// [`add_bucket`](super::add_bucket) does: the interval is copied only the first time the
/// table sees it, the cell once per group.
fn push(table: &mut MetricTable, place: &mut Place, interval: &str, counts: &RawCounts) {
    match &place.strategy {
        None => table.push_unattributed(*counts),
        Some(id) => {
            let (position, cell) = *place
                .at
                .get_or_insert_with(|| (table.strategy_position(id), table.cell_id(&place.cell)));
            table.push_at(position, interval, cell, counts, &mut place.last);
        }
    }
}

/// A group's `data`: each bucket decoded alone and pushed, or kept waiting for the strategy.
struct BucketsIntoTable<'a, 's, 'de> {
    table: &'a mut MetricTable,
    layout: &'a TableLayout,
    /// Where the buckets go, once the group is known.
    place: Option<&'s mut Place>,
    waiting: &'a mut Vec<(Cow<'de, str>, RawCounts)>,
}

impl<'de> DeserializeSeed<'de> for BucketsIntoTable<'_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BucketsIntoTable<'_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(BucketCounts { into: &mut self })?
            .is_some()
        {}
        Ok(())
    }
}

impl<'de> BucketsIntoTable<'_, '_, 'de> {
    /// Pushes one bucket's complete counts, or keeps them waiting for the group.
    fn add(&mut self, interval: Cow<'de, str>, counts: &RawCounts) {
        match self.place.as_deref_mut() {
            Some(place) => push(self.table, place, &interval, counts),
            None => self.waiting.push((interval, *counts)),
        }
    }
}

/// One bucket, `{"interval", "metrics"}`, read as its interval and its metrics' counts summed:
/// the metric names and the interval are borrowed from the page where JSON allows it, and no
/// list of metrics is built, and the bucket is added where it goes as soon as it is read
/// (nothing bucket-sized is moved through `serde`'s return values). Errors read as the derived
/// [`IntervalData`](super::IntervalData) decoder's.
struct BucketCounts<'b, 'a, 's, 'de> {
    into: &'b mut BucketsIntoTable<'a, 's, 'de>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "lowercase")]
enum BucketField {
    Interval,
    Metrics,
    #[serde(other)]
    Other,
}

impl<'de> DeserializeSeed<'de> for BucketCounts<'_, '_, '_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_struct("IntervalData", &["interval", "metrics"], self)
    }
}

impl<'de> Visitor<'de> for BucketCounts<'_, '_, '_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct IntervalData")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut interval: Option<Cow<'de, str>> = None;
        // Its metrics are added into what a bucket without them holds (0 for each requested
        // metric): the same sums as completing them after, without a bucket-sized copy.
        let mut counts = self.into.layout.no_metrics_read();
        let mut metrics_seen = false;
        while let Some(field) = map.next_key()? {
            match field {
                BucketField::Interval if interval.is_some() => {
                    return Err(de::Error::duplicate_field("interval"));
                }
                BucketField::Interval => interval = Some(map.next_value::<Borrowed<'de>>()?.0),
                BucketField::Metrics if metrics_seen => {
                    return Err(de::Error::duplicate_field("metrics"));
                }
                BucketField::Metrics => {
                    metrics_seen = true;
                    map.next_value_seed(MetricsSum(&mut counts))?;
                }
                BucketField::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        self.into.add(interval.unwrap_or_default(), &counts);
        Ok(())
    }
}

/// A string borrowed from the input when it has no escapes.
struct Borrowed<'de>(Cow<'de, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Borrowed<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Text<'a> {
            type Value = Cow<'a, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
        }
        deserializer
            .deserialize_str(Text(std::marker::PhantomData))
            .map(Borrowed)
    }
}

/// A bucket's `metrics`, each added into its [`RawCounts`] as it is read.
struct MetricsSum<'c>(&'c mut RawCounts);

/// One metric: its name matched without copying it, and of its stats only those a count is
/// filled from.
#[derive(Deserialize)]
struct MetricRef {
    metric: MetricName,
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "read for the same errors as MetricValue; no count uses it"
    )]
    qualifier: Option<IgnoredAny>,
    #[serde(default)]
    stats: CountedStats,
}

/// A metric's name, matched where it lies in the page (`None`: no count is filled from it).
struct MetricName(Option<RoutingMetric>);

impl<'de> Deserialize<'de> for MetricName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = MetricName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<MetricName, E> {
                Ok(MetricName(RoutingMetric::from_name(v)))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

/// The [`Stats`] fields a count is filled from, read as the derived decoder reads them; the
/// others (`max`, `min`, `ratio`, `target`, `current`) are skipped unread, as unknown fields
/// are, so that their numbers are not parsed.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CountedStats {
    count: Option<u64>,
    sum: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
}

/// One metric, read by the derived [`MetricRef`] decoder and added into the bucket's counts
/// at once.
struct AddMetric<'c>(&'c mut RawCounts);

impl<'de> DeserializeSeed<'de> for AddMetric<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let metric = MetricRef::deserialize(deserializer)?;
        if let Some(name) = metric.metric.0 {
            let s = metric.stats;
            let stats = Stats {
                count: s.count,
                sum: s.sum,
                numerator: s.numerator,
                denominator: s.denominator,
                ..Stats::default()
            };
            add_counts_of_known(self.0, name, &stats);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for MetricsSum<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MetricsSum<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(AddMetric(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> TableLayout {
        TableLayout::new("usedRouting")
            .within(["queueId"])
            .requested(["nOffered"])
    }

    /// The page as `Aggregates::run` reads it (sonic-rs, serde_json naming the errors).
    fn as_run_reads_it(body: &[u8]) -> Option<MetricTable> {
        let mut table = layout().empty_table();
        decode_page(body, None, &mut table, &layout()).ok()?;
        Some(table)
    }

    /// The page as serde_json alone reads it through the same seeds.
    fn as_serde_json_reads_it(body: &[u8]) -> Option<MetricTable> {
        let mut table = layout().empty_table();
        let mut de = serde_json::Deserializer::from_slice(body);
        PageIntoTable::new(&mut table, &layout())
            .deserialize(&mut de)
            .ok()?;
        Some(table)
    }

    #[test]
    fn pages_are_accepted_and_read_as_serde_json_reads_them() {
        let page = |results: &str| format!(r#"{{"cursor": "c", "results": [{results}]}}"#);
        let group = |group: &str, stats: &str| {
            page(&format!(
                r#"{{"group": {group}, "data": [{{"interval": "i", "metrics": [{{"metric": "tAnswered", "stats": {stats}}}]}}]}}"#
            ))
        };
        let nested = |depth: usize| {
            format!(
                r#"{{"results": [], "extra": {}1{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        let mut bodies: Vec<Vec<u8>> = vec![
            include_bytes!("../../../tests/fuzz/corpus/results_page/page1.json").to_vec(),
            include_bytes!("../../../tests/fuzz/corpus/results_page/page2.json").to_vec(),
            include_bytes!("../../../tests/fuzz/corpus/results_page/extremes.json").to_vec(),
            Vec::new(),
            b" ".to_vec(),
            b"null".to_vec(),
            b"{}".to_vec(),
            b"{\"results\": []} trailing".to_vec(),
            b"{\"results\": [],}".to_vec(),
            b"{\"results\": [1,]}".to_vec(),
            b"{\"results\": [], \"x\": \"\xff\"}".to_vec(),
            b"{\"results\": [], \"x\": \"\xed\xa0\x80\"}".to_vec(),
            b"{\"results\": [], \"x\": \"a\tb\"}".to_vec(),
            b"{\"results\": [], \"x\": \"\\ud800\"}".to_vec(),
            b"{\"results\": [], \"x\": \"\\x\"}".to_vec(),
            nested(100).into_bytes(),
        ];
        for stats in [
            r#"{"count": 3, "sum": 1.5}"#,
            r#"{"count": 18446744073709551615, "sum": 1e308}"#,
            r#"{"count": 18446744073709551616}"#,
            r#"{"count": -1}"#,
            r#"{"count": -0}"#,
            r#"{"count": 1.5}"#,
            r#"{"count": 1e2}"#,
            r#"{"count": "3"}"#,
            r#"{"count": null, "sum": null}"#,
            r#"{"sum": 1e400}"#,
            r#"{"sum": -1e-400}"#,
            r#"{"sum": 0.1000000000000000055511151231257827}"#,
            r#"{"sum": 2.2250738585072011e-308}"#,
            r#"{"sum": 01}"#,
            r#"{"sum": 1.}"#,
            r#"{"sum": .5}"#,
            r#"{"sum": NaN}"#,
            r#"{"sum": 1E+2, "max": 7, "ratio": 0.5}"#,
            r#"{"count": 1, "count": 2}"#,
            r#"{"count": 1,}"#,
            r#"[1, 2]"#,
        ] {
            bodies.push(group(r#"{"usedRouting": "B", "queueId": "q"}"#, stats).into_bytes());
        }
        for group_value in [
            r#"{"usedRouting": "B\u00e9", "queueId": "q\"1"}"#,
            r#"{"usedRouting": "\ud83d\ude00"}"#,
            r#"{"usedRouting": "\ud800"}"#,
            r#"{"usedRouting": "B", "usedRouting": "C"}"#,
            r#"{"usedRouting": 7}"#,
            r#"{}"#,
        ] {
            bodies.push(group(group_value, r#"{"count": 1}"#).into_bytes());
        }
        // Invalid UTF-8 in a value no count reads, after groups were read: serde_json skips
        // it unchecked, sonic-rs refuses it.
        let mut odd = bodies[1].clone();
        odd.truncate(odd.len() - 1);
        odd.extend_from_slice(b", \"extra\": \"\xff\xfe\"}");
        bodies.push(odd);
        let mut cut = bodies[1].clone();
        cut.truncate(cut.len() / 2);
        bodies.push(cut);
        for body in &bodies {
            let text = String::from_utf8_lossy(body);
            assert_eq!(
                as_run_reads_it(body),
                as_serde_json_reads_it(body),
                "{text}"
            );
        }
        assert!(as_run_reads_it(&bodies[1]).is_some(), "a page is read");
        assert!(
            as_run_reads_it(&bodies[bodies.len() - 2]).is_some(),
            "invalid UTF-8 skipped"
        );
    }

    #[test]
    fn a_page_that_fails_to_decode_leaves_the_table_as_it_was() {
        let first = include_bytes!("../../../tests/fuzz/corpus/results_page/page1.json");
        let second = include_bytes!("../../../tests/fuzz/corpus/results_page/page2.json");
        let mut table = layout().empty_table();
        decode_page(first, None, &mut table, &layout()).expect("the first page decodes");
        let after_first = table.clone();

        let cut = &second[..second.len() / 2];
        let error = decode_page(cut, Some("corr-1"), &mut table, &layout())
            .expect_err("a cut page is a decode error");

        assert_eq!(error.kind(), ErrorKind::Decode, "{error}");
        assert_eq!(
            table, after_first,
            "nothing of the cut page stays in the table"
        );
    }
}
