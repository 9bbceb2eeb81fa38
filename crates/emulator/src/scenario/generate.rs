//! Conversations drawn from a scenario, per queue and 15-minute slot.
//!
//! A slot's conversations depend only on the seed, the queue's id and the slot, so any bucket
//! is the sum of its slots and the totals of a split window add up exactly to the whole
//! window's, whatever the grouping. A conversation answered in a slot is handled (wrap-up
//! done) in the next one, as Genesys emits `tHandle` at the end of wrap-up.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Utc};

use super::{Deployment, MethodEffect, QueueSpec, Scenario};

/// Seconds in the data's grain.
pub(crate) const SLOT_SECONDS: i64 = 900;
/// Share of abandons that happen within 10 s (short abandons, outside the service level).
pub(crate) const SHORT_ABANDON_SHARE: f64 = 0.3;
/// Abandons quicker than this are short abandons.
pub(crate) const SHORT_ABANDON_MS: u64 = 10_000;
/// A dimension value that is absent.
pub(crate) const NONE: u16 = u16::MAX;

/// What one routing method achieves on one queue, ready for drawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Params {
    abandon: f64,
    /// Probability that an answered conversation is answered within the target.
    met: f64,
    target_ms: u64,
    /// Mean excess over the target of answers that miss it.
    late_mean_ms: f64,
    handle_ms: f64,
    transfer: f64,
    long_abandon_mean_ms: f64,
}

fn in_unit(name: &str, value: f64, closed_top: bool) -> Result<f64, String> {
    let ok = value >= 0.0 && (value < 1.0 || (closed_top && value <= 1.0));
    if ok {
        Ok(value)
    } else {
        Err(format!(
            "the {name} comes to {value}, outside [0, 1); adjust the queue or the method's effect"
        ))
    }
}

impl Params {
    /// The queue's base values moved by the method's effect.
    ///
    /// The service level counts answers within the target over answers plus abandons of
    /// 10 s or more, so the share of answers met is solved for the level asked; the waits
    /// of answers that miss it are then sized for the mean speed of answer asked.
    ///
    /// # Errors
    /// What cannot be reached, in words.
    pub(crate) fn new(q: &QueueSpec, e: &MethodEffect) -> Result<Params, String> {
        let abandon = in_unit("abandon probability", q.abandon + e.abandon, false)?;
        let level = in_unit("service level", q.service_level + e.service_level, false)?;
        let transfer = in_unit("transfer probability", q.transfer + e.transfer, true)?;
        let asa_ms = q.speed_of_answer_secs * 1000.0 * (1.0 + e.speed_of_answer);
        let handle_ms = q.handle_time_secs * 1000.0 * (1.0 + e.handle_time);
        if asa_ms < 1000.0 || handle_ms < 1000.0 {
            return Err("the mean speed of answer and handle time must stay at least 1 s".into());
        }
        let answered = 1.0 - abandon;
        let met = level * (answered + abandon * (1.0 - SHORT_ABANDON_SHARE)) / answered;
        if met >= 1.0 {
            return Err(format!(
                "a service level of {level} needs more than every answer within the target; lower serviceLevel or abandon"
            ));
        }
        let target_ms = (q.service_level_secs * 1000.0).round() as u64;
        let met_mean = (1000.0 + target_ms as f64) / 2.0;
        let late_mean_ms = (asa_ms - met * met_mean) / (1.0 - met) - target_ms as f64;
        if late_mean_ms < 1000.0 {
            let needed = (met * met_mean + (1.0 - met) * (target_ms as f64 + 1000.0)) / 1000.0;
            return Err(format!(
                "a mean speed of answer of {:.1} s is too short for a service level of {level} within {} s; it needs at least {needed:.1} s",
                asa_ms / 1000.0,
                q.service_level_secs
            ));
        }
        Ok(Params {
            abandon,
            met,
            target_ms,
            late_mean_ms,
            handle_ms,
            transfer,
            long_abandon_mean_ms: asa_ms.max(20_000.0),
        })
    }
}

/// Cumulative weights, for drawing an index.
#[derive(Debug, Clone)]
struct Choice {
    codes: Vec<u16>,
    cumulative: Vec<f64>,
}

impl Choice {
    fn new(items: impl IntoIterator<Item = (u16, f64)>) -> Choice {
        let mut codes = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (code, weight) in items {
            if weight > 0.0 {
                total += weight;
                codes.push(code);
                cumulative.push(total);
            }
        }
        for c in &mut cumulative {
            *c /= total;
        }
        Choice { codes, cumulative }
    }

    fn draw(&self, rng: &mut Rng) -> u16 {
        if self.codes.len() <= 1 {
            return self.codes.first().copied().unwrap_or(NONE);
        }
        let u = rng.unit();
        let i = self.cumulative.partition_point(|c| *c <= u);
        self.codes[i.min(self.codes.len() - 1)]
    }
}

#[derive(Debug, Clone)]
enum Arms {
    Split(Choice),
    /// Baseline when `(hour + day) % period == 0`.
    Sliced {
        treatment: u16,
        baseline: u16,
        period: i64,
    },
}

/// A queue compiled for drawing.
#[derive(Debug, Clone)]
pub(crate) struct QueueModel {
    key: u64,
    pub(crate) division: u16,
    media: Choice,
    /// Expected conversations per slot, by weekday (Monday 0) and hour.
    per_slot: [[f64; 24]; 7],
    before_routing: f64,
    arms: Arms,
    /// Per method code: the fallback target and share.
    fallback: Vec<Option<(u16, f64)>>,
    skills: Choice,
    agents: Vec<u16>,
    /// Per method code: what it achieves here (None: not used here).
    params: Vec<Option<Params>>,
    pub(crate) sl_target: f64,
    /// Possible (requested, used) pairs.
    pub(crate) pairs: Vec<(u16, u16)>,
    pub(crate) media_codes: Vec<u16>,
    pub(crate) skill_codes: Vec<u16>,
    pub(crate) agent_codes: Vec<u16>,
}

/// Interned values of every dimension, and the compiled queues.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub(crate) queue_ids: Vec<String>,
    pub(crate) methods: Vec<String>,
    pub(crate) skills: Vec<String>,
    pub(crate) agents: Vec<String>,
    pub(crate) media: Vec<String>,
    pub(crate) wrap_ups: Vec<String>,
    pub(crate) divisions: Vec<String>,
    wrap_up: Choice,
    pub(crate) queues: Vec<QueueModel>,
}

struct Interner(BTreeMap<String, u16>, Vec<String>);

impl Interner {
    fn new() -> Self {
        Interner(BTreeMap::new(), Vec::new())
    }
    fn code(&mut self, value: &str) -> u16 {
        if let Some(c) = self.0.get(value) {
            return *c;
        }
        let c = self.1.len() as u16;
        self.0.insert(value.to_owned(), c);
        self.1.push(value.to_owned());
        c
    }
}

fn string_key(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

impl Model {
    /// Compiles a validated scenario.
    pub(crate) fn new(s: &Scenario) -> Model {
        let mut methods = Interner::new();
        for m in crate::data::ROUTING_METHODS {
            methods.code(m);
        }
        let (mut skills, mut agents, mut media, mut divisions, mut wraps) = (
            Interner::new(),
            Interner::new(),
            Interner::new(),
            Interner::new(),
            Interner::new(),
        );
        let wrap_up = Choice::new(
            s.wrap_up_codes
                .iter()
                .map(|w| (wraps.code(&w.id), w.weight)),
        );
        let mut queues = Vec::new();
        for q in &s.queues {
            queues.push(compile_queue(
                s,
                q,
                &mut methods,
                &mut skills,
                &mut agents,
                &mut media,
                &mut divisions,
            ));
        }
        Model {
            queue_ids: s.queues.iter().map(|q| q.id.clone()).collect(),
            methods: methods.1,
            skills: skills.1,
            agents: agents.1,
            media: media.1,
            wrap_ups: wraps.1,
            divisions: divisions.1,
            wrap_up,
            queues,
        }
    }
}

fn compile_queue(
    s: &Scenario,
    q: &QueueSpec,
    methods: &mut Interner,
    skills: &mut Interner,
    agents: &mut Interner,
    media: &mut Interner,
    divisions: &mut Interner,
) -> QueueModel {
    let hourly = &s.curves.hourly[&q.hourly_curve];
    let weekly = &s.curves.weekly[&q.weekly_curve];
    let hour_total: f64 = hourly.iter().sum();
    let mut per_slot = [[0.0; 24]; 7];
    for (d, row) in per_slot.iter_mut().enumerate() {
        for (h, cell) in row.iter_mut().enumerate() {
            *cell = q.daily_volume * weekly[d] * hourly[h] / hour_total / 4.0;
        }
    }
    let arms = match &q.routing {
        Deployment::Split { shares } => Arms::Split(Choice::new(
            shares.iter().map(|(m, w)| (methods.code(m), *w)),
        )),
        Deployment::TimeSliced {
            treatment,
            baseline,
            treatment_share,
        } => Arms::Sliced {
            treatment: methods.code(treatment),
            baseline: methods.code(baseline),
            period: (1.0 / (1.0 - treatment_share)).round() as i64,
        },
    };
    let method_count = crate::data::ROUTING_METHODS.len().max(methods.1.len());
    let mut fallback = vec![None; method_count];
    for f in q.fallbacks.iter().filter(|f| f.share > 0.0) {
        fallback[methods.code(&f.from) as usize] = Some((methods.code(&f.to), f.share));
    }
    let mut params = vec![None; method_count];
    let mut pairs = Vec::new();
    for requested in q.requested_methods() {
        let r = methods.code(requested);
        pairs.push((r, r));
        if let Some((to, _)) = fallback[r as usize] {
            pairs.push((r, to));
        }
    }
    for used in q.used_methods() {
        // Validation has checked every used method's parameters.
        params[methods.code(used) as usize] = Params::new(q, &s.effect(used)).ok();
    }
    let media_choice = Choice::new(q.media_types.iter().map(|(m, w)| (media.code(m), *w)));
    let skill_choice = Choice::new(q.skills.iter().map(|k| (skills.code(&k.id), k.weight)));
    let agent_codes: Vec<u16> = q.agents.iter().map(|a| agents.code(a)).collect();
    QueueModel {
        key: string_key(&q.id),
        division: divisions.code(&q.division_id),
        media_codes: media_choice.codes.clone(),
        skill_codes: skill_choice.codes.clone(),
        agent_codes: agent_codes.clone(),
        media: media_choice,
        per_slot,
        before_routing: q.abandon_before_routing,
        arms,
        fallback,
        skills: skill_choice,
        agents: agent_codes,
        params,
        sl_target: q.service_level_target,
        pairs,
    }
}

/// The dimension values of one conversation, as interned codes ([`NONE`]: absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Leaf {
    pub(crate) queue: u16,
    pub(crate) requested: u16,
    pub(crate) used: u16,
    pub(crate) skill: u16,
    pub(crate) user: u16,
    pub(crate) media: u16,
    pub(crate) wrap_up: u16,
}

/// What happened, as the events Genesys emits.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// Abandoned after waiting this long.
    Abandoned { wait_ms: u64 },
    /// Answered after waiting this long; `met` within the service-level target.
    Answered {
        wait_ms: u64,
        met: bool,
        alert_ms: u64,
    },
    /// Handling ended (in the slot after the answer).
    Handled {
        talk_ms: u64,
        acw_ms: u64,
        held_ms: Option<u64>,
        /// `Some(blind)` when transferred.
        transfer: Option<bool>,
    },
}

fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A small deterministic generator (splitmix64) seeded by a hash of its parts.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(parts: &[u64]) -> Self {
        Rng(parts.iter().fold(0x5eed, |h, p| mix(h ^ mix(*p))))
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
    /// Exponential with this mean, in whole milliseconds.
    fn exp_ms(&mut self, mean_ms: f64) -> u64 {
        (-mean_ms * (1.0 - self.unit()).ln()).round() as u64
    }
    /// Uniform integer in [low, high].
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + ((high - low + 1) as f64 * self.unit()) as u64
    }
    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda > 30.0 {
            // Normal approximation: exact Poisson by products underflows for large means.
            let z = (-2.0 * (1.0 - self.unit()).ln()).sqrt()
                * (2.0 * std::f64::consts::PI * self.unit()).cos();
            return (lambda + lambda.sqrt() * z).round().max(0.0) as u64;
        }
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = self.unit();
        while p > limit {
            k += 1;
            p *= self.unit();
        }
        k
    }
}

/// Which method a conversation requests in `slot`.
fn requested(arms: &Arms, slot: i64, rng: &mut Rng) -> u16 {
    match arms {
        Arms::Split(choice) => choice.draw(rng),
        Arms::Sliced {
            treatment,
            baseline,
            period,
        } => {
            let hour = slot.div_euclid(4);
            let (day, hour_of_day) = (hour.div_euclid(24), hour.rem_euclid(24));
            if (hour_of_day + day).rem_euclid(*period) == 0 {
                *baseline
            } else {
                *treatment
            }
        }
    }
}

fn abandon_wait(rng: &mut Rng, long_mean_ms: f64) -> u64 {
    if rng.chance(SHORT_ABANDON_SHARE) {
        rng.between(1000, SHORT_ABANDON_MS - 1)
    } else {
        SHORT_ABANDON_MS + rng.exp_ms(long_mean_ms)
    }
}

/// Draws every conversation of `queue` offered in `[from, to)` (slots) and calls `emit`
/// with the slot of each event: arrivals in their slot, handling in the next one (kept only
/// when it falls inside the range).
pub(crate) fn visit_queue(
    model: &Model,
    seed: u64,
    index: usize,
    from: i64,
    to: i64,
    emit: &mut dyn FnMut(i64, &Leaf, &Outcome),
) {
    let q = &model.queues[index];
    for slot in (from - 1)..to {
        let Some(at) = Utc.timestamp_opt(slot * SLOT_SECONDS, 0).single() else {
            continue;
        };
        let lambda = q.per_slot[at.weekday().num_days_from_monday() as usize]
            [(slot.rem_euclid(96) / 4) as usize];
        let mut rng = Rng::new(&[seed, q.key, slot as u64]);
        let offered = rng.poisson(lambda);
        for _ in 0..offered {
            let media = q.media.draw(&mut rng);
            let mut leaf = Leaf {
                queue: index as u16,
                requested: NONE,
                used: NONE,
                skill: NONE,
                user: NONE,
                media,
                wrap_up: NONE,
            };
            if rng.chance(q.before_routing) {
                let wait_ms = abandon_wait(&mut rng, 30_000.0);
                if slot >= from {
                    emit(slot, &leaf, &Outcome::Abandoned { wait_ms });
                }
                continue;
            }
            leaf.requested = requested(&q.arms, slot, &mut rng);
            leaf.used = match q.fallback[leaf.requested as usize] {
                Some((to, share)) if rng.chance(share) => to,
                _ => leaf.requested,
            };
            leaf.skill = q.skills.draw(&mut rng);
            let Some(p) = q.params[leaf.used as usize] else {
                continue;
            };
            if rng.chance(p.abandon) {
                let wait_ms = abandon_wait(&mut rng, p.long_abandon_mean_ms);
                if slot >= from {
                    emit(slot, &leaf, &Outcome::Abandoned { wait_ms });
                }
                continue;
            }
            leaf.user = q.agents[(rng.unit() * q.agents.len() as f64) as usize % q.agents.len()];
            leaf.wrap_up = model.wrap_up.draw(&mut rng);
            let met = rng.chance(p.met);
            let wait_ms = if met {
                rng.between(1000, p.target_ms)
            } else {
                p.target_ms + 1 + rng.exp_ms(p.late_mean_ms)
            };
            let alert_ms = rng.between(2000, 8000);
            // Talk, hold and wrap-up add up to the handle time on average.
            let talk_ms = rng.exp_ms(p.handle_ms * 0.7);
            let held_ms = rng.chance(0.25).then(|| rng.exp_ms(p.handle_ms * 0.4));
            let acw_ms = rng.exp_ms(p.handle_ms * 0.2);
            let transfer = rng.chance(p.transfer).then(|| rng.chance(0.7));
            if slot >= from {
                emit(
                    slot,
                    &leaf,
                    &Outcome::Answered {
                        wait_ms,
                        met,
                        alert_ms,
                    },
                );
            }
            if slot + 1 < to {
                let handled = Outcome::Handled {
                    talk_ms,
                    acw_ms,
                    held_ms,
                    transfer,
                };
                emit(slot + 1, &leaf, &handled);
            }
        }
    }
}

impl QueueModel {
    /// The `oServiceLevel` target of this queue.
    pub(crate) fn service_level_target(&self) -> f64 {
        self.sl_target
    }
}

/// The conversation kinds, for listing which dimension values can occur together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Abandoned before routing: queue and media only.
    Unrouted,
    /// Abandoned after routing: no agent, no wrap-up code.
    RoutedAbandon,
    /// Answered.
    Answered,
}

impl Model {
    /// Every leaf a conversation of this kind on this queue can have, where only the fields
    /// `wanted` says matter vary (the others hold one representative value).
    pub(crate) fn leaves(
        &self,
        index: usize,
        kind: Kind,
        wanted: &LeafFields,
        out: &mut Vec<Leaf>,
    ) {
        let q = &self.queues[index];
        let one_or = |want: bool, list: &[u16]| -> Vec<u16> {
            if want {
                list.to_vec()
            } else {
                list.iter().take(1).copied().collect()
            }
        };
        let none = vec![NONE];
        let (pairs, skills, users, wraps) = match kind {
            Kind::Unrouted => (vec![(NONE, NONE)], none.clone(), none.clone(), none),
            Kind::RoutedAbandon => {
                let pairs = if wanted.routing {
                    q.pairs.clone()
                } else {
                    q.pairs.iter().take(1).copied().collect()
                };
                (
                    pairs,
                    one_or(wanted.skill, &q.skill_codes),
                    none.clone(),
                    none,
                )
            }
            Kind::Answered => {
                let pairs = if wanted.routing {
                    q.pairs.clone()
                } else {
                    q.pairs.iter().take(1).copied().collect()
                };
                let wrap_codes: Vec<u16> = if self.wrap_up.codes.is_empty() {
                    none
                } else {
                    one_or(wanted.wrap_up, &self.wrap_up.codes)
                };
                (
                    pairs,
                    one_or(wanted.skill, &q.skill_codes),
                    one_or(wanted.user, &q.agent_codes),
                    wrap_codes,
                )
            }
        };
        let media = one_or(wanted.media, &q.media_codes);
        for &(requested, used) in &pairs {
            for &skill in &skills {
                for &user in &users {
                    for &wrap_up in &wraps {
                        for &m in &media {
                            out.push(Leaf {
                                queue: index as u16,
                                requested,
                                used,
                                skill,
                                user,
                                media: m,
                                wrap_up,
                            });
                        }
                    }
                }
            }
        }
    }
}

/// Which leaf fields a query looks at.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LeafFields {
    pub(crate) routing: bool,
    pub(crate) skill: bool,
    pub(crate) user: bool,
    pub(crate) media: bool,
    pub(crate) wrap_up: bool,
}
