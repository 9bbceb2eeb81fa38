//! The rules of a scenario that serde cannot check: ranges, sums, references, reachability.

use std::collections::BTreeSet;

use super::generate::Params;
use super::{BASELINE, Deployment, QueueSpec, Scenario, ScenarioError, Weighted};
use crate::data::ROUTING_METHODS;

type Checked = Result<(), ScenarioError>;

fn fail(at: impl Into<String>, message: impl Into<String>) -> Checked {
    Err(ScenarioError::at(at, message))
}

fn finite_in(at: &str, value: f64, low: f64, high: f64) -> Checked {
    if value.is_finite() && value >= low && value <= high {
        Ok(())
    } else {
        fail(
            at,
            format!("{value} is out of range: use a number from {low} to {high}"),
        )
    }
}

fn method_name(at: &str, name: &str) -> Checked {
    if ROUTING_METHODS.contains(&name) {
        Ok(())
    } else {
        fail(
            at,
            format!(
                "unknown routing method `{name}`: use one of {}",
                ROUTING_METHODS.join(", ")
            ),
        )
    }
}

fn shares_sum_to_one(at: &str, shares: impl Iterator<Item = f64>) -> Checked {
    let mut total = 0.0;
    for s in shares {
        finite_in(at, s, 0.0, 1.0)?;
        total += s;
    }
    if (total - 1.0).abs() > 1e-9 {
        return fail(at, format!("shares sum to {total}, they must sum to 1"));
    }
    Ok(())
}

fn weights(at: &str, list: &[Weighted], needed: bool) -> Checked {
    if needed && list.is_empty() {
        return fail(at, "give at least one entry");
    }
    let mut seen = BTreeSet::new();
    for (i, w) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if w.id.is_empty() {
            return fail(format!("{here}.id"), "the id is empty");
        }
        if !seen.insert(w.id.as_str()) {
            return fail(format!("{here}.id"), format!("`{}` is listed twice", w.id));
        }
        if !(w.weight.is_finite() && w.weight > 0.0) {
            return fail(format!("{here}.weight"), "the weight must be a number > 0");
        }
    }
    Ok(())
}

fn curves(s: &Scenario) -> Checked {
    for (name, curve) in &s.curves.hourly {
        let at = format!("curves.hourly.{name}");
        if curve.len() != 24 {
            return fail(at, format!("{} values: give 24, hour 0 to 23", curve.len()));
        }
        for (h, v) in curve.iter().enumerate() {
            finite_in(&format!("{at}[{h}]"), *v, 0.0, 1e9)?;
        }
        if curve.iter().sum::<f64>() <= 0.0 {
            return fail(at, "all 24 weights are 0: no hour would have calls");
        }
    }
    for (name, curve) in &s.curves.weekly {
        let at = format!("curves.weekly.{name}");
        if curve.len() != 7 {
            return fail(
                at,
                format!("{} values: give 7, Monday to Sunday", curve.len()),
            );
        }
        for (d, v) in curve.iter().enumerate() {
            finite_in(&format!("{at}[{d}]"), *v, 0.0, 100.0)?;
        }
    }
    Ok(())
}

fn methods(s: &Scenario) -> Checked {
    for (name, e) in &s.methods {
        let at = format!("methods.{name}");
        method_name(&at, name)?;
        if name == BASELINE && *e != Default::default() {
            return fail(
                at,
                "Standard is the baseline: its effects must be 0 (or leave it out)",
            );
        }
        finite_in(
            &format!("{at}.speedOfAnswer"),
            e.speed_of_answer,
            -0.95,
            10.0,
        )?;
        finite_in(&format!("{at}.handleTime"), e.handle_time, -0.95, 10.0)?;
        finite_in(&format!("{at}.abandon"), e.abandon, -1.0, 1.0)?;
        finite_in(&format!("{at}.serviceLevel"), e.service_level, -1.0, 1.0)?;
        finite_in(&format!("{at}.transfer"), e.transfer, -1.0, 1.0)?;
    }
    Ok(())
}

fn routing(at: &str, q: &QueueSpec) -> Checked {
    match &q.routing {
        Deployment::Split { shares } => {
            let at = format!("{at}.routing.shares");
            if shares.is_empty() {
                return fail(at, "give at least one method and its share");
            }
            for name in shares.keys() {
                method_name(&format!("{at}.{name}"), name)?;
            }
            shares_sum_to_one(&at, shares.values().copied())
        }
        Deployment::TimeSliced {
            treatment,
            baseline,
            treatment_share,
        } => {
            method_name(&format!("{at}.routing.treatment"), treatment)?;
            method_name(&format!("{at}.routing.baseline"), baseline)?;
            if treatment == baseline {
                return fail(
                    format!("{at}.routing.baseline"),
                    "the baseline must differ from the treatment",
                );
            }
            if *treatment_share != 0.5 && *treatment_share != 0.8 {
                return fail(
                    format!("{at}.routing.treatmentShare"),
                    format!(
                        "{treatment_share}: a time-sliced test gives the treatment 0.5 or 0.8 of the hours"
                    ),
                );
            }
            Ok(())
        }
    }
}

fn fallbacks(at: &str, q: &QueueSpec) -> Checked {
    let requested = q.requested_methods();
    let mut seen = BTreeSet::new();
    for (i, f) in q.fallbacks.iter().enumerate() {
        let here = format!("{at}.fallbacks[{i}]");
        method_name(&format!("{here}.from"), &f.from)?;
        method_name(&format!("{here}.to"), &f.to)?;
        if !requested.contains(&f.from.as_str()) {
            return fail(
                format!("{here}.from"),
                format!("`{}` is not routed on this queue", f.from),
            );
        }
        if f.from == f.to {
            return fail(format!("{here}.to"), "a method cannot fall back to itself");
        }
        if !seen.insert(f.from.as_str()) {
            return fail(
                format!("{here}.from"),
                format!("`{}` has a fallback already", f.from),
            );
        }
        finite_in(&format!("{here}.share"), f.share, 0.0, 0.999)?;
    }
    Ok(())
}

fn queue(s: &Scenario, i: usize, q: &QueueSpec) -> Checked {
    let at = format!("queues[{i}]");
    for (field, value) in [("id", &q.id), ("divisionId", &q.division_id)] {
        if value.is_empty() {
            return fail(format!("{at}.{field}"), "must not be empty");
        }
    }
    if q.media_types.is_empty() {
        return fail(format!("{at}.mediaTypes"), "give at least one media type");
    }
    shares_sum_to_one(&format!("{at}.mediaTypes"), q.media_types.values().copied())?;
    finite_in(&format!("{at}.dailyVolume"), q.daily_volume, 0.0, 1e6)?;
    if !s.curves.hourly.contains_key(&q.hourly_curve) {
        return fail(
            format!("{at}.hourlyCurve"),
            format!("no curve `{}` in curves.hourly", q.hourly_curve),
        );
    }
    if !s.curves.weekly.contains_key(&q.weekly_curve) {
        return fail(
            format!("{at}.weeklyCurve"),
            format!("no curve `{}` in curves.weekly", q.weekly_curve),
        );
    }
    for (field, value, high) in [
        ("abandonBeforeRouting", q.abandon_before_routing, 0.999),
        ("abandon", q.abandon, 0.999),
        ("speedOfAnswerSecs", q.speed_of_answer_secs, 86_400.0),
        ("handleTimeSecs", q.handle_time_secs, 86_400.0),
        ("serviceLevelSecs", q.service_level_secs, 86_400.0),
        ("serviceLevelTarget", q.service_level_target, 1.0),
        ("serviceLevel", q.service_level, 1.0),
        ("transfer", q.transfer, 1.0),
    ] {
        finite_in(&format!("{at}.{field}"), value, 0.0, high)?;
    }
    if q.service_level_secs < 2.0 {
        return fail(format!("{at}.serviceLevelSecs"), "use at least 2 seconds");
    }
    weights(&format!("{at}.skills"), &q.skills, true)?;
    if q.agents.is_empty() {
        return fail(format!("{at}.agents"), "give at least one agent id");
    }
    if let Some(j) = q.agents.iter().position(String::is_empty) {
        return fail(format!("{at}.agents[{j}]"), "the agent id is empty");
    }
    routing(&at, q)?;
    fallbacks(&at, q)?;
    for method in q.used_methods() {
        Params::new(q, &s.effect(method)).map_err(|message| {
            ScenarioError::at(at.clone(), format!("under {method}: {message}"))
        })?;
    }
    Ok(())
}

/// Every rule; the first problem found.
pub(super) fn check(s: &Scenario) -> Checked {
    curves(s)?;
    methods(s)?;
    weights("wrapUpCodes", &s.wrap_up_codes, false)?;
    if s.queues.is_empty() {
        return fail("queues", "give at least one queue");
    }
    if s.queues.len() > 20_000 {
        return fail("queues", "at most 20000 queues");
    }
    let mut ids = BTreeSet::new();
    for (i, q) in s.queues.iter().enumerate() {
        if !ids.insert(q.id.as_str()) {
            return fail(
                format!("queues[{i}].id"),
                format!("`{}` is used twice", q.id),
            );
        }
        queue(s, i, q)?;
    }
    let agents: BTreeSet<&str> = s
        .queues
        .iter()
        .flat_map(|q| q.agents.iter().map(String::as_str))
        .collect();
    let skills: BTreeSet<&str> = s
        .queues
        .iter()
        .flat_map(|q| q.skills.iter().map(|k| k.id.as_str()))
        .collect();
    if agents.len() > 60_000 || skills.len() > 60_000 {
        return fail(
            "queues",
            "at most 60000 distinct agents and 60000 distinct skills",
        );
    }
    Ok(())
}
