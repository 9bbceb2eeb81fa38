//! Aggregates over a scenario's conversations: groups planned from the scenario, tallied
//! per bucket, rendered as Genesys renders them.
//!
//! The groups a query can yield are listed (sorted) from the scenario alone, without drawing
//! a conversation; a page draws only the queues that feed its groups and keeps only their
//! tallies, so serving a job holds one page of groups at a time whatever the window.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};

use super::dimensions::{Dim, value_by_name};
use super::period::{Period, format_interval};
use super::query::AggregationQuery;
use super::scenario::generate::{
    Kind as LeafKind, Leaf, LeafFields, Model, Outcome, SHORT_ABANDON_MS, SLOT_SECONDS, visit_queue,
};
use super::shape::{self, Selection};
use super::stat::Stat;
use super::views::{self, View, ViewTally};
use genesys_routing_eval::metrics::RawCounts;

/// Routing method values Genesys reports in `usedRouting`: the SDK's list, re-exported.
pub use genesys_routing_eval::sources::ROUTING_METHODS;

/// The most dimensions one query may group by.
pub(crate) const MAX_GROUP_BY: usize = 16;

/// The metrics the emulator has data for; every other known metric has no events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    Duration,
    ServiceLevel,
}

const MODELLED: &[(&str, Kind)] = &[
    ("nOffered", Kind::Count),
    ("nConversations", Kind::Count),
    ("nConnected", Kind::Count),
    ("nTransferred", Kind::Count),
    ("nBlindTransferred", Kind::Count),
    ("nConsultTransferred", Kind::Count),
    ("nOverSla", Kind::Count),
    ("tAnswered", Kind::Duration),
    ("tAbandon", Kind::Duration),
    ("tShortAbandon", Kind::Duration),
    ("tAcd", Kind::Duration),
    ("tWait", Kind::Duration),
    ("tAlert", Kind::Duration),
    ("tHandle", Kind::Duration),
    ("tTalk", Kind::Duration),
    ("tTalkComplete", Kind::Duration),
    ("tHeld", Kind::Duration),
    ("tHeldComplete", Kind::Duration),
    ("tAcw", Kind::Duration),
    ("oServiceLevel", Kind::ServiceLevel),
];

/// Indices into [`MODELLED`], so that generating an event needs no name look-up.
#[derive(Debug, Clone, Copy)]
enum M {
    NOffered,
    NConversations,
    NConnected,
    NTransferred,
    NBlindTransferred,
    NConsultTransferred,
    NOverSla,
    TAnswered,
    TAbandon,
    TShortAbandon,
    TAcd,
    TWait,
    TAlert,
    THandle,
    TTalk,
    TTalkComplete,
    THeld,
    THeldComplete,
    TAcw,
    OServiceLevel,
}

fn metric_index(name: &str) -> Option<usize> {
    MODELLED.iter().position(|(n, _)| *n == name)
}

/// Every modelled metric of one cell over one slot, or merged over many.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tally {
    stats: [Stat; MODELLED.len()],
    /// `oServiceLevel` numerator; its denominator is the `oServiceLevel` stat's count.
    sl_met: u64,
    /// The service-level goal of the queues counted (the highest when they differ).
    sl_target: f64,
    /// The query's `views` (see `views.rs`), fed every timer event.
    views: ViewTally,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            stats: [Stat::default(); MODELLED.len()],
            sl_met: 0,
            sl_target: 0.0,
            views: ViewTally::default(),
        }
    }
}

/// Where one event of one metric goes: its stat, and the views on that metric.
struct Recorder<'a> {
    stat: &'a mut Stat,
    views: &'a mut ViewTally,
    metric: M,
}

impl Recorder<'_> {
    /// A timer event: every timer value passes through here, so views see them all.
    fn record(self, value: u64) {
        self.stat.record(value);
        self.views.observe(MODELLED[self.metric as usize].0, value);
    }
    fn tick(self, n: u64) {
        self.stat.tick(n);
    }
}

impl Tally {
    fn with_views(views: &Arc<[View]>) -> Self {
        Tally {
            views: ViewTally::new(views),
            ..Tally::default()
        }
    }

    fn at(&mut self, metric: M) -> Recorder<'_> {
        Recorder {
            stat: &mut self.stats[metric as usize],
            views: &mut self.views,
            metric,
        }
    }

    fn get(&self, name: &str) -> Option<&Stat> {
        metric_index(name).map(|i| &self.stats[i])
    }

    /// The `stats` object of `metric`, or `None` where it had no events.
    fn render(&self, metric: &str) -> Option<Value> {
        let index = metric_index(metric)?;
        let stat = &self.stats[index];
        if stat.count == 0 {
            return None;
        }
        Some(match MODELLED[index].1 {
            Kind::Count => json!({ "count": stat.count }),
            Kind::Duration => stat.timer_json(),
            Kind::ServiceLevel => json!({
                "ratio": self.sl_met as f64 / stat.count as f64,
                "numerator": self.sl_met as f64,
                "denominator": stat.count as f64,
                "target": self.sl_target,
            }),
        })
    }

    fn raw_counts(&self) -> RawCounts {
        let count = |name| self.get(name).map(|s| s.count).filter(|c| *c > 0);
        let sum = |name| self.get(name).filter(|s| s.count > 0).map(|s| s.sum as f64);
        let sl_total = count("oServiceLevel");
        RawCounts {
            offered: count("nOffered"),
            answered: count("tAnswered"),
            answer_time_ms: sum("tAnswered"),
            abandoned: count("tAbandon"),
            handled: count("tHandle"),
            handle_time_ms: sum("tHandle"),
            service_level_met: sl_total.map(|_| self.sl_met as f64),
            service_level_total: sl_total.map(|t| t as f64),
            transferred: count("nTransferred"),
            ..RawCounts::default()
        }
    }
}

impl Tally {
    /// Adds one conversation's events.
    fn record(&mut self, outcome: &Outcome, sl_target: f64) {
        self.sl_target = self.sl_target.max(sl_target);
        match *outcome {
            Outcome::Abandoned { wait_ms } => {
                self.at(M::NOffered).tick(1);
                self.at(M::NConversations).tick(1);
                self.at(M::TAbandon).record(wait_ms);
                self.at(M::TAcd).record(wait_ms);
                self.at(M::TWait).record(wait_ms);
                if wait_ms < SHORT_ABANDON_MS {
                    self.at(M::TShortAbandon).record(wait_ms);
                } else {
                    self.at(M::OServiceLevel).tick(1);
                    self.at(M::NOverSla).tick(1);
                }
            }
            Outcome::Answered {
                wait_ms,
                met,
                alert_ms,
            } => {
                self.at(M::NOffered).tick(1);
                self.at(M::NConversations).tick(1);
                self.at(M::TAnswered).record(wait_ms);
                self.at(M::TAcd).record(wait_ms);
                self.at(M::TWait).record(wait_ms);
                self.at(M::NConnected).tick(1);
                self.at(M::TAlert).record(alert_ms);
                self.at(M::OServiceLevel).tick(1);
                if met {
                    self.sl_met += 1;
                } else {
                    self.at(M::NOverSla).tick(1);
                }
            }
            Outcome::Handled {
                talk_ms,
                acw_ms,
                held_ms,
                transfer,
            } => {
                self.at(M::TTalk).record(talk_ms);
                self.at(M::TTalkComplete).record(talk_ms);
                self.at(M::TAcw).record(acw_ms);
                if let Some(held) = held_ms {
                    self.at(M::THeld).record(held);
                    self.at(M::THeldComplete).record(held);
                }
                self.at(M::THandle)
                    .record(talk_ms + acw_ms + held_ms.unwrap_or(0));
                if let Some(blind) = transfer {
                    self.at(M::NTransferred).tick(1);
                    if blind {
                        self.at(M::NBlindTransferred).tick(1);
                    } else {
                        self.at(M::NConsultTransferred).tick(1);
                    }
                }
            }
        }
    }
}

/// The first slot starting at or after `at`.
fn slot_at_or_after(at: DateTime<Utc>) -> i64 {
    let secs = at.timestamp();
    secs.div_euclid(SLOT_SECONDS) + i64::from(secs.rem_euclid(SLOT_SECONDS) != 0)
}

/// The buckets of a query: `[start, end)` pairs, the last one cut at the interval's end.
pub(crate) fn buckets(q: &AggregationQuery) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let Some(period) = q.granularity else {
        return vec![(q.start, q.end)];
    };
    let mut out = Vec::new();
    let mut at = q.start;
    while at < q.end {
        let next = period
            .add_to(at, q.zone)
            .filter(|n| *n > at)
            .unwrap_or(q.end);
        out.push((at, next.min(q.end)));
        at = next;
    }
    out
}

/// A group's key: the codes of the grouped dimensions, in `groupBy` order.
type Key = [u16; MAX_GROUP_BY];

/// The groups a query can yield, sorted as they are served, and the queues feeding each.
pub(crate) struct Plan {
    dims: Vec<Dim>,
    keys: Vec<(Key, Vec<u16>)>,
}

impl Plan {
    /// How many groups the query can yield (some may have no data in the window).
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    fn key_of(&self, model: &Model, leaf: &Leaf) -> Key {
        let mut key = [0; MAX_GROUP_BY];
        for (slot, d) in key.iter_mut().zip(&self.dims) {
            *slot = d.code(model, leaf);
        }
        key
    }

    fn texts(&self, model: &Model, key: &Key) -> Vec<Option<String>> {
        self.dims
            .iter()
            .zip(key)
            .map(|(d, c)| d.text(model, *c).map(str::to_owned))
            .collect()
    }
}

fn admits(model: &Model, q: &AggregationQuery, leaf: &Leaf) -> bool {
    q.filter
        .as_ref()
        .is_none_or(|f| f.admits(&|name| value_by_name(model, leaf, name).map(str::to_owned)))
}

/// Lists the groups of `q` from the scenario alone.
///
/// `groupBy` names only modelled dimensions here (the handler has refused the others).
pub(crate) fn plan(model: &Model, q: &AggregationQuery) -> Plan {
    let dims: Vec<Dim> = q.group_by.iter().filter_map(|d| Dim::parse(d)).collect();
    let mut fields = LeafFields::default();
    for d in &dims {
        d.mark(&mut fields);
    }
    if let Some(filter) = &q.filter {
        let predicates = filter
            .predicates
            .iter()
            .chain(filter.clauses.iter().flat_map(|c| c.predicates.iter()));
        for p in predicates {
            if let Some(d) = Dim::parse(&p.dimension) {
                d.mark(&mut fields);
            }
        }
    }
    let mut plan = Plan {
        dims,
        keys: Vec::new(),
    };
    let mut found: HashMap<Key, BTreeSet<u16>> = HashMap::new();
    let mut leaves = Vec::new();
    for index in 0..model.queues.len() {
        leaves.clear();
        for kind in [
            LeafKind::Unrouted,
            LeafKind::RoutedAbandon,
            LeafKind::Answered,
        ] {
            model.leaves(index, kind, &fields, &mut leaves);
        }
        for leaf in &leaves {
            if admits(model, q, leaf) {
                found
                    .entry(plan.key_of(model, leaf))
                    .or_default()
                    .insert(index as u16);
            }
        }
    }
    let mut keys: Vec<(Vec<Option<String>>, Key, Vec<u16>)> = found
        .into_iter()
        .map(|(k, queues)| (plan.texts(model, &k), k, queues.into_iter().collect()))
        .collect();
    keys.sort_by(|a, b| a.0.cmp(&b.0));
    plan.keys = keys.into_iter().map(|(_, k, q)| (k, q)).collect();
    plan
}

/// Tallies per bucket of the groups `batch` (indices into the plan), drawing only the
/// queues that feed them.
fn tally(
    model: &Model,
    seed: u64,
    q: &AggregationQuery,
    plan: &Plan,
    batch: &[usize],
    buckets: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<Vec<Tally>> {
    let mut tallies = vec![vec![Tally::with_views(&q.views); buckets.len()]; batch.len()];
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return tallies;
    };
    let (from, to) = (slot_at_or_after(first.0), slot_at_or_after(last.1));
    // Slot to bucket, so each event finds its bucket without a search.
    let mut bucket_of = vec![u32::MAX; usize::try_from(to - from).unwrap_or(0)];
    for (i, (start, end)) in buckets.iter().enumerate() {
        for slot in slot_at_or_after(*start)..slot_at_or_after(*end) {
            bucket_of[(slot - from) as usize] = i as u32;
        }
    }
    let position: HashMap<Key, usize> = batch
        .iter()
        .enumerate()
        .map(|(pos, k)| (plan.keys[*k].0, pos))
        .collect();
    let queues: BTreeSet<u16> = batch
        .iter()
        .flat_map(|k| plan.keys[*k].1.iter().copied())
        .collect();
    // Filter and key once per distinct leaf, not once per conversation.
    let mut memo: HashMap<Leaf, Option<usize>> = HashMap::new();
    for index in queues {
        let queue = &model.queues[index as usize];
        let target = queue.service_level_target();
        visit_queue(
            model,
            seed,
            index as usize,
            from,
            to,
            &mut |slot, leaf, outcome| {
                let pos = *memo.entry(*leaf).or_insert_with(|| {
                    if admits(model, q, leaf) {
                        position.get(&plan.key_of(model, leaf)).copied()
                    } else {
                        None
                    }
                });
                let bucket = bucket_of[(slot - from) as usize];
                if let Some(pos) = pos
                    && bucket != u32::MAX
                {
                    tallies[pos][bucket as usize].record(outcome, target);
                }
            },
        );
    }
    tallies
}

/// One page of a query's groups from the `first` planned group: at most `page_size`
/// groups with data, and the planned index of the next group with data, if any. An ordinary
/// query generates one page of groups (and one more) at a time.
///
/// A `topN` / `bottomN` query is paged over its ranked list instead: `first` and the next
/// position index that list. Ranking needs every group's totals before cutting, so it tallies
/// every planned group (as the synchronous query does), keeps the `limit` ranked ones, and
/// slices them.
///
/// `held` learns the most groups held at once.
pub(crate) fn page(
    model: &Model,
    seed: u64,
    q: &AggregationQuery,
    first: usize,
    page_size: usize,
    held: &mut usize,
) -> (Vec<Value>, Option<usize>) {
    if let Selection::Ranked { .. } = q.selection {
        let ranked = aggregate(model, seed, q, held);
        let end = first.saturating_add(page_size).min(ranked.len());
        let items = ranked.get(first..end).unwrap_or_default().to_vec();
        return (items, (end < ranked.len()).then_some(end));
    }
    let plan = plan(model, q);
    let buckets = buckets(q);
    let mut out = Vec::new();
    let mut next = first;
    let after = 'fill: {
        while next < plan.len() {
            // One group more than the page needs, to know whether a next page has data.
            let want = page_size + 1 - out.len();
            let batch: Vec<usize> = (next..plan.len().min(next + want)).collect();
            *held = (*held).max(out.len() + batch.len());
            let tallies = tally(model, seed, q, &plan, &batch, &buckets);
            for (k, t) in batch.iter().zip(&tallies) {
                let texts = plan.texts(model, &plan.keys[*k].0);
                if let Some(group) = render_group(q, &buckets, &texts, t) {
                    if out.len() == page_size {
                        break 'fill Some(*k);
                    }
                    out.push(group);
                }
            }
            next += batch.len();
        }
        None
    };
    (shape::finish(&q.selection, out), after)
}

/// Every group of a query (the synchronous query answers them at once), shaped by
/// [`shape::finish`]: ranked and cut for `topN` / `bottomN`.
pub(crate) fn aggregate(
    model: &Model,
    seed: u64,
    q: &AggregationQuery,
    held: &mut usize,
) -> Vec<Value> {
    let plan = plan(model, q);
    let buckets = buckets(q);
    let batch: Vec<usize> = (0..plan.len()).collect();
    *held = (*held).max(batch.len());
    let tallies = tally(model, seed, q, &plan, &batch, &buckets);
    let groups = batch
        .iter()
        .zip(&tallies)
        .filter_map(|(k, t)| render_group(q, &buckets, &plan.texts(model, &plan.keys[*k].0), t))
        .collect();
    shape::finish(&q.selection, groups)
}

fn render_group(
    q: &AggregationQuery,
    buckets: &[(DateTime<Utc>, DateTime<Utc>)],
    key: &[Option<String>],
    tallies: &[Tally],
) -> Option<Value> {
    let data: Vec<Value> = buckets
        .iter()
        .zip(tallies)
        .filter_map(|((start, end), tally)| {
            let metrics: Vec<Value> = q
                .metrics
                .iter()
                .filter_map(|m| {
                    tally
                        .render(m)
                        .map(|stats| json!({ "metric": m, "stats": stats }))
                })
                .collect();
            views::bucket(format_interval(*start, *end), metrics, &tally.views)
        })
        .collect();
    if data.is_empty() {
        return None;
    }
    let group: Map<String, Value> = q
        .group_by
        .iter()
        .zip(key)
        .filter_map(|(d, v)| v.as_ref().map(|v| (d.clone(), Value::String(v.clone()))))
        .collect();
    let mut out = Map::new();
    if !group.is_empty() {
        out.insert("group".into(), Value::Object(group));
    }
    out.insert("data".into(), Value::Array(data));
    Some(Value::Object(out))
}

/// A query over `[start, end)` grouped by `group_by`, in `granularity` buckets (UTC).
fn internal_query(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    granularity: Option<Period>,
    group_by: Vec<String>,
) -> AggregationQuery {
    AggregationQuery {
        start,
        end,
        granularity,
        zone: Tz::UTC,
        group_by,
        filter: None,
        metrics: MODELLED.iter().map(|(n, _)| (*n).to_owned()).collect(),
        page_size: None,
        views: Arc::from([]),
        selection: Selection::All,
    }
}

/// Tallies of every group of `q`, by the group's values.
fn tallies_by(
    model: &Model,
    seed: u64,
    q: &AggregationQuery,
) -> Vec<(Vec<Option<String>>, Vec<Tally>)> {
    let plan = plan(model, q);
    let batch: Vec<usize> = (0..plan.len()).collect();
    let tallies = tally(model, seed, q, &plan, &batch, &buckets(q));
    batch
        .iter()
        .map(|k| plan.texts(model, &plan.keys[*k].0))
        .zip(tallies)
        .collect()
}

/// Distinct values of `dimension` the scenario can produce, sorted.
pub(crate) fn dimension_values(model: &Model, dimension: &str) -> Vec<String> {
    if Dim::parse(dimension).is_none() {
        return Vec::new();
    }
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    let q = internal_query(epoch, epoch, None, vec![dimension.to_owned()]);
    let plan = plan(model, &q);
    let values: BTreeSet<String> = plan
        .keys
        .iter()
        .filter_map(|(k, _)| plan.texts(model, k).remove(0))
        .collect();
    values.into_iter().collect()
}

/// Totals over `[start, end)` grouped by `dimension` (see `Emulator::expected_counts`).
pub(crate) fn expected_counts(
    model: &Model,
    seed: u64,
    dimension: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<Option<String>, RawCounts> {
    let group_by = if Dim::parse(dimension).is_some() {
        vec![dimension.to_owned()]
    } else {
        Vec::new()
    };
    let q = internal_query(start, end, None, group_by);
    tallies_by(model, seed, &q)
        .into_iter()
        .filter_map(|(mut key, tallies)| {
            let t = tallies.first()?;
            let value = key.pop().flatten();
            (t.get("nOffered").is_some_and(|s| s.count > 0)
                || t.get("tHandle").is_some_and(|s| s.count > 0))
            .then(|| (value, t.raw_counts()))
        })
        .collect()
}

/// One facade entity: a strategy (routing method) over one day.
pub(crate) struct StrategyDay {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) handled: u64,
    pub(crate) abandoned: u64,
    pub(crate) answered: u64,
    pub(crate) answer_ms: u64,
}

/// The facade's data: per routing method, its days from `start` to `end` (UTC, the last cut
/// at `end`), all queues together. Methods in no queue are absent.
pub(crate) fn strategy_days(
    model: &Model,
    seed: u64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<String, Vec<StrategyDay>> {
    let q = internal_query(start, end, Period::parse("P1D"), vec!["usedRouting".into()]);
    let days = buckets(&q);
    tallies_by(model, seed, &q)
        .into_iter()
        .filter_map(|(mut key, tallies)| {
            let method = key.pop().flatten()?;
            let list = days
                .iter()
                .zip(&tallies)
                .map(|((s, e), t)| {
                    let stat = |name| t.get(name).copied().unwrap_or_default();
                    StrategyDay {
                        start: *s,
                        end: *e,
                        handled: stat("tHandle").count,
                        abandoned: stat("tAbandon").count,
                        answered: stat("tAnswered").count,
                        answer_ms: stat("tAnswered").sum,
                    }
                })
                .collect();
            Some((method, list))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn model() -> Model {
        Model::new(&Scenario::default_centre())
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn only_reference_routing_methods_are_used() {
        for m in dimension_values(&model(), "usedRouting") {
            assert!(ROUTING_METHODS.contains(&m.as_str()), "{m}");
        }
    }

    #[test]
    fn slots_add_up_across_a_split_for_every_grouping() {
        let model = model();
        for dim in ["queueId", "userId", "wrapUpCode", "requestedRouting"] {
            let whole = expected_counts(
                &model,
                9,
                dim,
                at("2024-05-01T00:00:00Z"),
                at("2024-05-03T00:00:00Z"),
            );
            let a = expected_counts(
                &model,
                9,
                dim,
                at("2024-05-01T00:00:00Z"),
                at("2024-05-01T17:15:00Z"),
            );
            let b = expected_counts(
                &model,
                9,
                dim,
                at("2024-05-01T17:15:00Z"),
                at("2024-05-03T00:00:00Z"),
            );
            for (key, counts) in &whole {
                let sum = |f: fn(&RawCounts) -> Option<u64>| {
                    a.get(key).and_then(f).unwrap_or(0) + b.get(key).and_then(f).unwrap_or(0)
                };
                assert_eq!(
                    counts.offered.unwrap_or(0),
                    sum(|c| c.offered),
                    "{dim} {key:?}"
                );
                assert_eq!(
                    counts.handled.unwrap_or(0),
                    sum(|c| c.handled),
                    "{dim} {key:?}"
                );
                assert_eq!(
                    counts.transferred.unwrap_or(0),
                    sum(|c| c.transferred),
                    "{dim} {key:?}"
                );
            }
            assert!(whole.len() > 2, "{dim}");
        }
    }

    #[test]
    fn views_see_every_timer_event_the_generator_records() {
        let model = model();
        let timers: Vec<&str> = MODELLED
            .iter()
            .filter(|(_, k)| *k == Kind::Duration)
            .map(|(n, _)| *n)
            .collect();
        let mut q = internal_query(
            at("2024-05-01T00:00:00Z"),
            at("2024-05-02T00:00:00Z"),
            Period::parse("PT1H"),
            vec!["queueId".into(), "mediaType".into()],
        );
        // A view from 0 ms admits every value, so it must equal its target metric exactly.
        q.views = timers
            .iter()
            .map(|t| View {
                name: format!("all {t}"),
                target: (*t).to_owned(),
                gte: Some(0),
                lt: None,
            })
            .collect();
        let mut held = 0;
        let results = aggregate(&model, 9, &q, &mut held);
        let mut seen = BTreeSet::new();
        for bucket in results.iter().flat_map(|g| g["data"].as_array().unwrap()) {
            let views = bucket["views"].as_array().expect("views in every bucket");
            for m in bucket["metrics"].as_array().unwrap() {
                let name = m["metric"].as_str().unwrap();
                if !timers.contains(&name) {
                    continue;
                }
                let view = views
                    .iter()
                    .find(|v| v["name"] == format!("all {name}"))
                    .unwrap_or_else(|| panic!("no view saw {name}"));
                assert_eq!(view["stats"], m["stats"], "{name}");
                seen.insert(name.to_owned());
            }
            assert_eq!(
                views.len(),
                bucket["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|m| timers.contains(&m["metric"].as_str().unwrap()))
                    .count()
            );
        }
        assert_eq!(seen.len(), timers.len(), "{seen:?}");
    }

    #[test]
    fn metric_indices_match_their_names() {
        let mut t = Tally::default();
        t.at(M::TAnswered).tick(1);
        t.at(M::OServiceLevel).tick(2);
        assert_eq!(t.get("tAnswered").unwrap().count, 1);
        assert_eq!(t.get("oServiceLevel").unwrap().count, 2);
        assert_eq!(MODELLED.len(), M::OServiceLevel as usize + 1);
    }

    #[test]
    fn slot_rounding_is_upward() {
        let at = DateTime::from_timestamp(900 * 10 + 1, 0).unwrap();
        assert_eq!(slot_at_or_after(at), 11);
        let at = DateTime::from_timestamp(900 * 10, 0).unwrap();
        assert_eq!(slot_at_or_after(at), 10);
    }
}
