//! Synthetic contact-centre data, deterministic from a seed, for any window.
//!
//! Conversations are generated per 15-minute slot (UTC) and per cell (a queue and the routing
//! method that delivered its calls, or none for calls abandoned before routing). Every slot
//! depends only on the seed, the cell and the slot itself, so any bucket is the sum of its
//! slots and the totals of split windows add up exactly to the whole window's.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeZone, Timelike, Utc};
use serde_json::{Map, Value, json};

use super::period::format_interval;
use super::query::{AggregationQuery, SLOT_SECONDS};
use super::views::{self, View, ViewTally};
use genesys_routing_eval::metrics::RawCounts;

/// Routing method values Genesys reports in `usedRouting` (the reference's list).
pub const ROUTING_METHODS: &[&str] = &[
    "Bullseye",
    "Conditional",
    "Direct",
    "Last",
    "Manual",
    "Predictive",
    "Preferred",
    "Standard",
    "Vip",
];

/// Answers within this many milliseconds meet the service level.
const SERVICE_TARGET_MS: u64 = 20_000;
/// Abandons quicker than this are short abandons, left out of the service level.
const SHORT_ABANDON_MS: u64 = 10_000;

/// How a routing method tends to perform.
#[derive(Debug, Clone, Copy)]
struct Profile {
    asa_s: f64,
    aht_s: f64,
    abandon: f64,
    transfer: f64,
}

fn profile(method: &str) -> Profile {
    let (asa_s, aht_s, abandon, transfer) = match method {
        "Bullseye" => (26.0, 335.0, 0.035, 0.06),
        "Predictive" => (21.0, 318.0, 0.028, 0.05),
        "Conditional" => (34.0, 352.0, 0.045, 0.07),
        "Preferred" => (39.0, 298.0, 0.05, 0.04),
        "Last" => (47.0, 305.0, 0.055, 0.05),
        "Direct" => (14.0, 281.0, 0.02, 0.03),
        "Vip" => (9.0, 410.0, 0.012, 0.02),
        "Manual" => (58.0, 362.0, 0.07, 0.1),
        _ => (44.0, 377.0, 0.065, 0.09),
    };
    Profile {
        asa_s,
        aht_s,
        abandon,
        transfer,
    }
}

/// The queues and the routing methods that deliver their calls.
const LAYOUT: &[&[&str]] = &[
    &["Bullseye", "Standard", "Predictive"],
    &["Standard", "Conditional", "Preferred"],
    &["Bullseye", "Predictive", "Last", "Direct"],
];

/// A queue and the routing method of its calls (`None`: abandoned before routing).
#[derive(Debug, Clone)]
struct Cell {
    index: u64,
    queue_id: String,
    skill_id: String,
    division_id: String,
    routing: Option<&'static str>,
    daily_volume: f64,
    profile: Profile,
}

impl Cell {
    fn dimension(&self, name: &str) -> Option<String> {
        match name {
            "queueId" => Some(self.queue_id.clone()),
            "usedRouting" | "activeRouting" => self.routing.map(str::to_owned),
            "requestedRouting" => Some(self.routing.unwrap_or("Standard").to_owned()),
            "requestedRoutingSkillId" => Some(self.skill_id.clone()),
            "divisionId" => Some(self.division_id.clone()),
            "mediaType" => Some("voice".to_owned()),
            "direction" | "originatingDirection" => Some("inbound".to_owned()),
            "purpose" => Some("acd".to_owned()),
            "interactionType" => Some("contactCenter".to_owned()),
            _ => None,
        }
    }
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn hash(parts: &[u64]) -> u64 {
    parts.iter().fold(0x5eed, |h, p| mix(h ^ mix(*p)))
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn new(parts: &[u64]) -> Self {
        Rng(hash(parts))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Exponential with this mean, at least 1 s, in milliseconds.
    fn exp_ms(&mut self, mean_s: f64) -> u64 {
        let x = -mean_s * (1.0 - self.unit()).ln();
        (x * 1000.0).max(1000.0).round() as u64
    }
    fn poisson(&mut self, lambda: f64) -> u64 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.unit();
        while p > limit && k < 1000 {
            k += 1;
            p *= self.unit();
        }
        k
    }
}

fn uuid_from(parts: &[u64]) -> String {
    let a = hash(parts);
    let b = mix(a);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | ((b >> 48) & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

fn cells(seed: u64) -> Vec<Cell> {
    let division_id = uuid_from(&[seed, 0xd1]);
    let mut out = Vec::new();
    for (q, methods) in LAYOUT.iter().enumerate() {
        let q = q as u64;
        let queue_id = uuid_from(&[seed, 0x9e, q]);
        let skill_id = uuid_from(&[seed, 0x5c, q]);
        let routes = methods.iter().map(|m| Some(*m)).chain([None]);
        for routing in routes {
            let index = out.len() as u64;
            let mut rng = Rng::new(&[seed, 0xce11, index]);
            let base = match routing {
                Some(method) => {
                    let mut p = profile(method);
                    p.asa_s *= 0.85 + 0.3 * rng.unit();
                    p.aht_s *= 0.9 + 0.2 * rng.unit();
                    p
                }
                None => Profile {
                    asa_s: 0.0,
                    aht_s: 0.0,
                    abandon: 1.0,
                    transfer: 0.0,
                },
            };
            let daily_volume = match routing {
                Some(_) => 140.0 + 220.0 * rng.unit(),
                None => 12.0 + 18.0 * rng.unit(),
            };
            out.push(Cell {
                index,
                queue_id: queue_id.clone(),
                skill_id: skill_id.clone(),
                division_id: division_id.clone(),
                routing,
                daily_volume,
                profile: base,
            });
        }
    }
    out
}

/// Relative call volume by UTC hour of day: business hours are busy.
const HOURLY: [f64; 24] = [
    0.6, 0.5, 0.4, 0.4, 0.5, 1.0, 2.0, 4.0, 6.5, 8.0, 8.5, 8.0, 7.0, 7.5, 8.0, 7.5, 6.5, 5.0, 3.5,
    2.5, 2.0, 1.5, 1.0, 0.8,
];

fn expected_calls(cell: &Cell, slot: i64) -> f64 {
    let Some(at) = Utc.timestamp_opt(slot * SLOT_SECONDS as i64, 0).single() else {
        return 0.0;
    };
    let total: f64 = HOURLY.iter().sum();
    let weekend = matches!(at.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun);
    let day_factor = if weekend { 0.35 } else { 1.0 };
    cell.daily_volume * day_factor * HOURLY[at.hour() as usize] / total / 4.0
}

/// Streams of randomness, so that a slot's call counts can be drawn without its durations.
const CALLS: u64 = 1;
const WAITS: u64 = 2;
const HANDLING: u64 = 3;

/// Whether each call offered in the slot was abandoned.
fn calls(seed: u64, cell: &Cell, slot: i64) -> Vec<bool> {
    let mut rng = Rng::new(&[seed, cell.index, slot as u64, CALLS]);
    let offered = rng.poisson(expected_calls(cell, slot));
    (0..offered)
        .map(|_| rng.chance(cell.profile.abandon))
        .collect()
}

/// Additive statistics of one metric.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Stat {
    pub(crate) count: u64,
    pub(crate) sum: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
}

impl Stat {
    fn record(&mut self, value: u64) {
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        self.max = self.max.max(value);
        self.count += 1;
        self.sum += value;
    }
    fn tick(&mut self, n: u64) {
        self.count += n;
    }
    fn add(&mut self, other: &Stat) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
    }
}

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
    /// The query's `views` (see `views.rs`), fed every timer event.
    views: ViewTally,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            stats: [Stat::default(); MODELLED.len()],
            sl_met: 0,
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
    fn record(self, value: u64) {
        self.stat.record(value);
        self.views.observe(MODELLED[self.metric as usize].0, value);
    }
    fn tick(self, n: u64) {
        self.stat.tick(n);
    }
}

impl Tally {
    fn with_views(views: &std::sync::Arc<[View]>) -> Self {
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

    pub(crate) fn add(&mut self, other: &Tally) {
        for (mine, theirs) in self.stats.iter_mut().zip(other.stats.iter()) {
            mine.add(theirs);
        }
        self.sl_met += other.sl_met;
        self.views.add(&other.views);
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
            Kind::Duration => json!({
                "max": stat.max as f64,
                "min": stat.min as f64,
                "count": stat.count,
                "sum": stat.sum as f64,
            }),
            Kind::ServiceLevel => json!({
                "ratio": self.sl_met as f64 / stat.count as f64,
                "numerator": self.sl_met as f64,
                "denominator": stat.count as f64,
                "target": 0.8,
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

/// Generates one cell's conversations in one slot.
///
/// `offered` and `previous` are [`calls`] of this slot and the one before, drawn once by the
/// caller; the events are added into `t`.
fn record_slot(
    t: &mut Tally,
    seed: u64,
    cell: &Cell,
    slot: i64,
    offered: &[bool],
    previous: &[bool],
) {
    let mut waits = Rng::new(&[seed, cell.index, slot as u64, WAITS]);
    t.at(M::NOffered).tick(offered.len() as u64);
    t.at(M::NConversations).tick(offered.len() as u64);
    for abandoned in offered {
        if *abandoned {
            let wait = waits.exp_ms((cell.profile.asa_s * 1.4).max(25.0));
            t.at(M::TAbandon).record(wait);
            t.at(M::TAcd).record(wait);
            t.at(M::TWait).record(wait);
            if wait < SHORT_ABANDON_MS {
                t.at(M::TShortAbandon).record(wait);
            } else {
                t.at(M::OServiceLevel).tick(1);
                t.at(M::NOverSla).tick(1);
            }
        } else {
            let wait = waits.exp_ms(cell.profile.asa_s);
            t.at(M::TAnswered).record(wait);
            t.at(M::TAcd).record(wait);
            t.at(M::TWait).record(wait);
            t.at(M::NConnected).tick(1);
            t.at(M::TAlert)
                .record(2000 + (waits.unit() * 6000.0) as u64);
            t.at(M::OServiceLevel).tick(1);
            if wait <= SERVICE_TARGET_MS {
                t.sl_met += 1;
            } else {
                t.at(M::NOverSla).tick(1);
            }
        }
    }
    // Handling ends after wrap-up, so a slot's handled calls are the previous slot's answers.
    let handled = previous.iter().filter(|a| !**a).count();
    let mut handling = Rng::new(&[seed, cell.index, slot as u64, HANDLING]);
    for _ in 0..handled {
        let talk = handling.exp_ms(cell.profile.aht_s * 0.78);
        let acw = 5000 + handling.exp_ms(cell.profile.aht_s * 0.12);
        let held = handling
            .chance(0.2)
            .then(|| handling.exp_ms(cell.profile.aht_s * 0.15));
        t.at(M::TTalk).record(talk);
        t.at(M::TTalkComplete).record(talk);
        t.at(M::TAcw).record(acw);
        if let Some(held) = held {
            t.at(M::THeld).record(held);
            t.at(M::THeldComplete).record(held);
        }
        t.at(M::THandle).record(talk + acw + held.unwrap_or(0));
        if handling.chance(cell.profile.transfer) {
            t.at(M::NTransferred).tick(1);
            if handling.chance(0.7) {
                t.at(M::NBlindTransferred).tick(1);
            } else {
                t.at(M::NConsultTransferred).tick(1);
            }
        }
    }
}

/// The first slot starting at or after `at`.
fn slot_at_or_after(at: DateTime<Utc>) -> i64 {
    let secs = at.timestamp();
    let size = SLOT_SECONDS as i64;
    secs.div_euclid(size) + i64::from(secs.rem_euclid(size) != 0)
}

fn tally_range(seed: u64, cell: &Cell, from_slot: i64, to_slot: i64) -> Tally {
    tally_range_viewed(seed, cell, from_slot, to_slot, &[].into())
}

/// [`tally_range`] feeding the query's views too.
fn tally_range_viewed(
    seed: u64,
    cell: &Cell,
    from_slot: i64,
    to_slot: i64,
    views: &std::sync::Arc<[View]>,
) -> Tally {
    let mut total = Tally::with_views(views);
    let mut previous = calls(seed, cell, from_slot - 1);
    for slot in from_slot..to_slot {
        let offered = calls(seed, cell, slot);
        record_slot(&mut total, seed, cell, slot, &offered, &previous);
        previous = offered;
    }
    total
}

/// The buckets of a query: `[start, end)` pairs, the last one cut at the interval's end.
fn buckets(q: &AggregationQuery) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
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

/// Runs an aggregation query: the `results` groups, in a stable order.
pub(crate) fn aggregate(seed: u64, q: &AggregationQuery) -> Vec<Value> {
    let buckets = buckets(q);
    let mut groups: BTreeMap<Vec<Option<String>>, Vec<Tally>> = BTreeMap::new();
    for cell in cells(seed) {
        if let Some(filter) = &q.filter
            && !filter.admits(&|d| cell.dimension(d))
        {
            continue;
        }
        let key: Vec<Option<String>> = q.group_by.iter().map(|d| cell.dimension(d)).collect();
        let entry = groups
            .entry(key)
            .or_insert_with(|| vec![Tally::default(); buckets.len()]);
        for (i, (start, end)) in buckets.iter().enumerate() {
            let t = tally_range_viewed(
                seed,
                &cell,
                slot_at_or_after(*start),
                slot_at_or_after(*end),
                &q.views,
            );
            entry[i].add(&t);
        }
    }
    groups
        .into_iter()
        .filter_map(|(key, tallies)| render_group(q, &buckets, &key, &tallies))
        .collect()
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

/// Distinct values of `dimension` over every cell, sorted.
pub(crate) fn dimension_values(seed: u64, dimension: &str) -> Vec<String> {
    let values: std::collections::BTreeSet<String> = cells(seed)
        .iter()
        .filter_map(|c| c.dimension(dimension))
        .collect();
    values.into_iter().collect()
}

/// Totals over `[start, end)` grouped by `dimension` (see `Emulator::expected_counts`).
pub(crate) fn expected_counts(
    seed: u64,
    dimension: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<Option<String>, RawCounts> {
    let mut totals: BTreeMap<Option<String>, Tally> = BTreeMap::new();
    let (from, to) = (slot_at_or_after(start), slot_at_or_after(end));
    for cell in cells(seed) {
        let t = tally_range(seed, &cell, from, to);
        totals.entry(cell.dimension(dimension)).or_default().add(&t);
    }
    totals
        .into_iter()
        .map(|(k, t)| (k, t.raw_counts()))
        .collect()
}

/// One facade entity: a strategy (routing method) over one day.
pub(crate) struct StrategyDay {
    pub(crate) handled: u64,
    pub(crate) abandoned: u64,
    pub(crate) answered: u64,
    pub(crate) answer_ms: u64,
}

/// The facade's data: per routing method over `[start, end)`, all queues together.
pub(crate) fn strategy_day(
    seed: u64,
    routing: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<StrategyDay> {
    let mut total = Tally::default();
    let mut any = false;
    for cell in cells(seed).iter().filter(|c| c.routing == Some(routing)) {
        any = true;
        total.add(&tally_range(
            seed,
            cell,
            slot_at_or_after(start),
            slot_at_or_after(end),
        ));
    }
    let stat = |name| total.get(name).copied().unwrap_or_default();
    any.then(|| StrategyDay {
        handled: stat("tHandle").count,
        abandoned: stat("tAbandon").count,
        answered: stat("tAnswered").count,
        answer_ms: stat("tAnswered").sum,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reference_routing_methods_are_used() {
        for cell in cells(3) {
            if let Some(r) = cell.routing {
                assert!(ROUTING_METHODS.contains(&r), "{r}");
            }
        }
    }

    #[test]
    fn slots_add_up_across_a_split() {
        let cell = &cells(9)[0];
        let whole = tally_range(9, cell, 100, 300);
        let mut split = tally_range(9, cell, 100, 170);
        split.add(&tally_range(9, cell, 170, 300));
        assert_eq!(whole, split);
        assert!(whole.get("nOffered").unwrap().count > 0);
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
        let at = Utc.timestamp_opt(900 * 10 + 1, 0).unwrap();
        assert_eq!(slot_at_or_after(at), 11);
        let at = Utc.timestamp_opt(900 * 10, 0).unwrap();
        assert_eq!(slot_at_or_after(at), 10);
    }
}
