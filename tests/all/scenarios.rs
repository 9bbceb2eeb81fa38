//! The default scenario over real HTTP: exact additivity across any split, grouping by every
//! modelled dimension (and refusing the others), fallbacks, the time-sliced test, the planted
//! effects recovered within queues with the pooled view reversed, and jobs that hold one page.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use genesys_routing_eval::sources::aggregates::{CONVERSATION_DIMENSIONS, ROUTING_METRICS};
use reqwest::StatusCode;
use routing_eval_emulator::scenario::{Deployment, EffectScale};
use routing_eval_emulator::{Emulator, Scenario};
use serde_json::{Value, json};

use crate::support::Api;

const JOBS: &str = "api/v2/analytics/conversations/aggregates/jobs";
const QUERY: &str = "api/v2/analytics/conversations/aggregates/query";
/// The metrics the SDK asks for.
const METRICS: &[&str] = ROUTING_METRICS;
/// Every additive field of a metric's stats.
const FIELDS: [&str; 5] = ["count", "sum", "numerator", "denominator", "max"];

/// An emulator on the default seed, spoken to over raw HTTP.
async fn api() -> Api {
    with_seed(routing_eval_emulator::DEFAULT_SEED).await
}

/// An emulator on `seed`, spoken to over raw HTTP.
async fn with_seed(seed: u64) -> Api {
    Api::start(Emulator::builder().seed(seed).job_latency(Duration::ZERO)).await
}

impl Api {
    /// The synchronous query's groups.
    async fn query(&self, body: Value) -> Vec<Value> {
        let (status, answer, _) = self.post(QUERY, &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["results"].as_array().unwrap().clone()
    }

    /// A job's pages, each as its list of groups.
    async fn job_pages(&self, body: Value) -> Vec<Vec<Value>> {
        let (status, answer, _) = self.post(JOBS, &body).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let id = answer["jobId"].as_str().unwrap().to_owned();
        self.result_pages(&id)
            .await
            .iter()
            .map(|page| page["results"].as_array().unwrap().clone())
            .collect()
    }
}

fn query(interval: &str, granularity: Option<&str>, group_by: &[&str]) -> Value {
    let mut q = json!({"interval": interval, "groupBy": group_by, "metrics": METRICS});
    if let Some(g) = granularity {
        q["granularity"] = json!(g);
    }
    q
}

type Totals = BTreeMap<(String, &'static str, &'static str), f64>;

/// Every additive stats field summed over buckets, per group (as JSON text), metric and field;
/// `max` is the maximum instead.
fn totals(groups: &[Value]) -> Totals {
    let mut out = Totals::new();
    for g in groups {
        let key = g.get("group").map_or("{}".to_owned(), Value::to_string);
        for bucket in g["data"].as_array().unwrap() {
            for m in bucket["metrics"].as_array().unwrap() {
                let name = METRICS.iter().find(|n| m["metric"] == **n).unwrap();
                for field in FIELDS {
                    if let Some(v) = m["stats"][field].as_f64() {
                        let slot = out.entry((key.clone(), name, field)).or_insert(0.0);
                        *slot = if field == "max" {
                            slot.max(v)
                        } else {
                            *slot + v
                        };
                    }
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn a_day_in_hourly_buckets_adds_up_exactly_to_its_daily_bucket_whatever_the_grouping() {
    let api = api().await;
    let day = "2024-05-07T00:00:00.000Z/2024-05-08T00:00:00.000Z";
    for group_by in [
        &["queueId", "usedRouting"][..],
        &["userId"],
        &["requestedRoutingSkillId", "wrapUpCode", "mediaType"],
        &["requestedRouting", "divisionId"],
    ] {
        let hourly = api.query(query(day, Some("PT1H"), group_by)).await;
        let daily = api.query(query(day, Some("P1D"), group_by)).await;
        assert!(
            hourly
                .iter()
                .any(|g| g["data"].as_array().unwrap().len() > 12),
            "hourly buckets"
        );
        let sums = totals(&daily);
        assert_eq!(totals(&hourly), sums, "{group_by:?}");
        for metric in METRICS {
            assert!(
                sums.keys().any(|(_, m, _)| m == metric),
                "{metric} has events in {group_by:?}"
            );
        }
    }
}

#[tokio::test]
async fn two_half_windows_add_up_exactly_to_the_whole_window() {
    let api = api().await;
    let group_by = ["queueId", "requestedRouting", "usedRouting"];
    let whole = api
        .query(query(
            "2024-05-03T00:00:00Z/2024-05-07T00:00:00Z",
            None,
            &group_by,
        ))
        .await;
    let mut halves = api
        .query(query(
            "2024-05-03T00:00:00Z/2024-05-05T07:15:00Z",
            None,
            &group_by,
        ))
        .await;
    halves.extend(
        api.query(query(
            "2024-05-05T07:15:00Z/2024-05-07T00:00:00Z",
            None,
            &group_by,
        ))
        .await,
    );
    let (whole, halves) = (totals(&whole), totals(&halves));
    assert_eq!(whole, halves);
    assert!(whole.len() > 100, "{} totals", whole.len());
}

/// The dimensions the emulator's data has (`docs/emulator.md`, "Dimensions with values").
const MODELLED_DIMENSIONS: [&str; 13] = [
    "queueId",
    "usedRouting",
    "activeRouting",
    "requestedRouting",
    "requestedRoutingSkillId",
    "userId",
    "divisionId",
    "mediaType",
    "wrapUpCode",
    "direction",
    "originatingDirection",
    "purpose",
    "interactionType",
];
/// Those with one value in the whole centre (`inbound`, `acd`, `contactCenter`).
const SINGLE_VALUED: [&str; 4] = [
    "direction",
    "originatingDirection",
    "purpose",
    "interactionType",
];

#[tokio::test]
async fn every_groupby_dimension_groups_for_real_or_is_refused_by_name() {
    let api = api().await;
    let window = "2024-05-06T00:00:00Z/2024-05-07T00:00:00Z";
    // Every answer is split by mediaType (as Genesys does), so even the ungrouped query has a
    // group per media type: every call is the sum over them.
    let offered_all: f64 = totals(&api.query(query(window, None, &[])).await)
        .iter()
        .filter(|((_, m, f), _)| *m == "nOffered" && *f == "count")
        .map(|(_, v)| v)
        .sum();
    assert!(offered_all > 0.0);
    for dimension in MODELLED_DIMENSIONS {
        let groups = api.query(query(window, None, &[dimension])).await;
        let values: BTreeSet<String> = groups
            .iter()
            .filter_map(|g| g["group"][dimension].as_str().map(str::to_owned))
            .collect();
        let expected: BTreeSet<String> = api
            .emulator
            .dimension_values(dimension)
            .into_iter()
            .collect();
        assert_eq!(values, expected, "{dimension}");
        let least = if SINGLE_VALUED.contains(&dimension) {
            1
        } else {
            2
        };
        assert!(values.len() >= least, "{dimension}: {values:?}");
        let offered: f64 = totals(&groups)
            .iter()
            .filter(|((_, m, f), _)| *m == "nOffered" && *f == "count")
            .map(|(_, v)| v)
            .sum();
        assert_eq!(
            offered, offered_all,
            "{dimension}: the groups share out every call"
        );
    }
    // Every other dimension the official SDK knows is refused by name: none is ignored.
    let others: Vec<&str> = CONVERSATION_DIMENSIONS
        .iter()
        .copied()
        .filter(|d| !MODELLED_DIMENSIONS.contains(d))
        .collect();
    assert!(others.len() > 20, "{others:?}");
    for dimension in others {
        let (status, body, headers) = api
            .post(QUERY, &query(window, None, &["queueId", dimension]))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{dimension}");
        assert_eq!(body["code"], "bad.request");
        assert_eq!(
            body["contextId"],
            headers["ININ-Correlation-ID"].to_str().unwrap()
        );
        assert!(
            body["message"].as_str().unwrap().contains(dimension),
            "{body}"
        );
        assert_eq!(body["details"][0]["fieldName"], "groupBy");
    }
}

#[tokio::test]
async fn filters_on_queue_and_routing_select_exactly_the_matching_group() {
    let api = api().await;
    let scenario = api.emulator.scenario();
    let claims = scenario.queues.iter().find(|q| q.name == "Claims").unwrap();
    let window = "2024-05-06T00:00:00Z/2024-05-08T00:00:00Z";
    let group_by = ["queueId", "usedRouting"];
    let everything = api.query(query(window, Some("P1D"), &group_by)).await;
    let mut filtered = query(window, Some("P1D"), &group_by);
    filtered["filter"] = json!({"type": "and", "predicates": [
        {"dimension": "queueId", "value": claims.id},
        {"dimension": "usedRouting", "value": "Predictive"}]});
    let only = api.query(filtered).await;
    assert_eq!(only.len(), 1);
    let expected: Vec<&Value> = everything
        .iter()
        .filter(|g| {
            g["group"]["queueId"] == claims.id.as_str() && g["group"]["usedRouting"] == "Predictive"
        })
        .collect();
    assert_eq!(expected, [&only[0]]);
}

#[tokio::test]
async fn fallbacks_keep_predictive_requested_and_unrouted_abandons_have_no_routing() {
    let api = api().await;
    let window = "2024-05-06T00:00:00Z/2024-05-08T00:00:00Z";
    let groups = api
        .query(query(
            window,
            None,
            &["queueId", "requestedRouting", "usedRouting"],
        ))
        .await;
    let scenario = api.emulator.scenario();
    // Groups are split by mediaType too, so count queues, not groups.
    let mut fell_back = BTreeSet::new();
    let mut unrouted = BTreeSet::new();
    for g in &groups {
        let queue = scenario
            .queue(g["group"]["queueId"].as_str().unwrap())
            .unwrap();
        let requested = g["group"].get("requestedRouting").and_then(Value::as_str);
        let used = g["group"].get("usedRouting").and_then(Value::as_str);
        match (requested, used) {
            (Some(r), Some(u)) if r != u => {
                assert!(
                    queue.fallbacks.iter().any(|f| f.from == r && f.to == u),
                    "{r} to {u} on {}",
                    queue.name
                );
                fell_back.insert(&queue.id);
            }
            (Some(_), Some(_)) => {}
            (None, None) => {
                unrouted.insert(&queue.id);
                let data = &g["data"][0]["metrics"];
                let names: Vec<&str> = data
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["metric"].as_str().unwrap())
                    .collect();
                assert!(
                    names.contains(&"tAbandon") && !names.contains(&"tAnswered"),
                    "{names:?}"
                );
            }
            other => panic!("requested and used routing must come together: {other:?}"),
        }
    }
    let with_fallback = scenario
        .queues
        .iter()
        .filter(|q| !q.fallbacks.is_empty())
        .count();
    assert_eq!(fell_back.len(), with_fallback);
    assert!(
        unrouted.len() >= 20,
        "{} queues with abandons before routing",
        unrouted.len()
    );
}

#[tokio::test]
async fn the_time_sliced_test_alternates_by_hour_and_swaps_on_alternate_days() {
    let api = api().await;
    let scenario = api.emulator.scenario();
    let mut shares_checked = Vec::new();
    for queue in scenario
        .queues
        .iter()
        .filter(|q| matches!(q.routing, Deployment::TimeSliced { .. }))
    {
        let Deployment::TimeSliced {
            treatment_share, ..
        } = &queue.routing
        else {
            unreachable!()
        };
        shares_checked.push(*treatment_share);
        let period = (1.0 / (1.0 - treatment_share)).round() as i64;
        let mut body = query(
            "2024-05-06T00:00:00Z/2024-05-08T00:00:00Z",
            Some("PT1H"),
            &["requestedRouting"],
        );
        body["filter"] =
            json!({"type": "and", "predicates": [{"dimension": "queueId", "value": queue.id}]});
        let groups = api.query(body).await;
        for g in &groups {
            let Some(method) = g["group"]["requestedRouting"].as_str() else {
                continue;
            };
            // Arrivals only: a call answered in the last slot of an hour is handled in the
            // next hour's first slot, whichever method that hour has.
            let arrivals = g["data"].as_array().unwrap().iter().filter(|b| {
                b["metrics"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|m| m["metric"] == "nOffered")
            });
            for bucket in arrivals {
                let start: chrono::DateTime<chrono::Utc> = bucket["interval"]
                    .as_str()
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let hours = start.timestamp() / 3600;
                let baseline_hour = (hours % 24 + hours / 24) % period == 0;
                let expected = if baseline_hour {
                    "Standard"
                } else {
                    "Predictive"
                };
                assert_eq!(method, expected, "{} at {start}", queue.name);
            }
        }
    }
    shares_checked.sort_by(f64::total_cmp);
    assert_eq!(shares_checked, [0.5, 0.8], "a 50:50 and an 80:20 test");
}

/// Per queue and used routing method, the counts a KPI needs, over the whole window.
#[derive(Debug, Default, Clone, Copy)]
struct Cell {
    offered: f64,
    abandoned: f64,
    answered: f64,
    answer_ms: f64,
    handled: f64,
    handle_ms: f64,
    sl_met: f64,
    sl_total: f64,
    transferred: f64,
}

impl Cell {
    fn add(&mut self, g: &Value) {
        for bucket in g["data"].as_array().unwrap() {
            for m in bucket["metrics"].as_array().unwrap() {
                let s = &m["stats"];
                let f = |k: &str| s[k].as_f64().unwrap_or(0.0);
                match m["metric"].as_str().unwrap() {
                    "nOffered" => self.offered += f("count"),
                    "tAbandon" => self.abandoned += f("count"),
                    "tAnswered" => {
                        self.answered += f("count");
                        self.answer_ms += f("sum");
                    }
                    "tHandle" => {
                        self.handled += f("count");
                        self.handle_ms += f("sum");
                    }
                    "oServiceLevel" => {
                        self.sl_met += f("numerator");
                        self.sl_total += f("denominator");
                    }
                    "nTransferred" => self.transferred += f("count"),
                    _ => {}
                }
            }
        }
    }

    /// The KPI's value and its denominator.
    fn kpi(&self, kpi: &str) -> (f64, f64) {
        match kpi {
            "abandonRate" => (self.abandoned / self.offered, self.offered),
            "serviceLevel" => (self.sl_met / self.sl_total, self.sl_total),
            "transferRate" => (self.transferred / self.answered, self.answered),
            "avgSpeedOfAnswer" => (self.answer_ms / self.answered, self.answered),
            "avgHandleTime" => (self.handle_ms / self.handled, self.handled),
            other => panic!("{other}"),
        }
    }

    fn plus(mut self, other: &Cell) -> Cell {
        self.offered += other.offered;
        self.abandoned += other.abandoned;
        self.answered += other.answered;
        self.answer_ms += other.answer_ms;
        self.handled += other.handled;
        self.handle_ms += other.handle_ms;
        self.sl_met += other.sl_met;
        self.sl_total += other.sl_total;
        self.transferred += other.transferred;
        self
    }
}

#[tokio::test]
async fn within_queue_differences_recover_the_planted_effects_and_the_pooled_view_reverses() {
    let api = api().await;
    let groups = api
        .query(query(
            "2024-04-01T00:00:00Z/2024-04-29T00:00:00Z",
            None,
            &["queueId", "usedRouting"],
        ))
        .await;
    let mut cells: BTreeMap<(String, String), Cell> = BTreeMap::new();
    for g in &groups {
        let (Some(queue), Some(method)) = (
            g["group"]["queueId"].as_str(),
            g["group"]["usedRouting"].as_str(),
        ) else {
            continue;
        };
        cells
            .entry((queue.to_owned(), method.to_owned()))
            .or_default()
            .add(g);
    }
    let effects = api.emulator.scenario().true_effects();
    assert!(effects.len() >= 25, "{} planted effects", effects.len());
    let mut checked = 0;
    for effect in &effects {
        // Mantel-Haenszel weights: each queue counts by n1 n0 / (n1 + n0).
        let (mut weighted, mut weights, mut variance) = (0.0, 0.0, 0.0);
        for queue in &effect.queues {
            let m = &cells[&(queue.clone(), effect.method.clone())];
            let b = &cells[&(queue.clone(), effect.baseline.clone())];
            let ((p1, n1), (p0, n0)) = (m.kpi(effect.kpi), b.kpi(effect.kpi));
            let w = n1 * n0 / (n1 + n0);
            let d = match effect.scale {
                EffectScale::Difference => p1 - p0,
                EffectScale::Relative => p1 / p0 - 1.0,
                _ => unreachable!(),
            };
            weighted += w * d;
            weights += w;
            variance += w * w * (p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0);
        }
        let estimate = weighted / weights;
        let tolerance = match effect.scale {
            // Five standard errors of the rate difference.
            EffectScale::Difference => 5.0 * (variance.sqrt() / weights) + 1e-3,
            // Waits and handle times are exponential-like: allow a few points.
            _ => {
                if effect.method != "Predictive" {
                    continue;
                }
                0.03
            }
        };
        assert!(
            (estimate - effect.value).abs() <= tolerance,
            "{} vs {} on {}: estimated {estimate:.4}, planted {} (tolerance {tolerance:.4})",
            effect.method,
            effect.baseline,
            effect.kpi,
            effect.value
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked} effects checked");
    // Pooled over the centre, Predictive looks worse than Standard on every KPI.
    let pooled = |method: &str| {
        cells
            .iter()
            .filter(|((_, m), _)| m == method)
            .fold(Cell::default(), |acc, (_, c)| acc.plus(c))
    };
    let (predictive, standard) = (pooled("Predictive"), pooled("Standard"));
    for effect in effects.iter().filter(|e| e.method == "Predictive") {
        let pooled_difference = predictive.kpi(effect.kpi).0 - standard.kpi(effect.kpi).0;
        assert!(
            pooled_difference * effect.value < 0.0,
            "{}: pooled difference {pooled_difference} has the planted effect's sign {}",
            effect.kpi,
            effect.value
        );
    }
}

#[tokio::test]
async fn a_job_holds_one_page_of_groups_at_a_time_and_pages_add_up_to_the_query() {
    // A seed of its own: pages are shared by every emulator of the process that serves the
    // same scenario and seed, and this test must see its own generation in its stats.
    let api = with_seed(4242).await;
    let mut body = query(
        "2024-05-01T00:00:00Z/2024-05-15T00:00:00Z",
        Some("P1D"),
        &["queueId", "usedRouting", "userId"],
    );
    body["pageSize"] = json!(7);
    let pages = api.job_pages(body.clone()).await;
    let groups: Vec<Value> = pages.concat();
    assert!(groups.len() > 50, "{} groups", groups.len());
    assert!(pages.iter().all(|p| p.len() <= 7));
    assert!(pages[..pages.len() - 1].iter().all(|p| p.len() == 7));
    let peak = api.emulator.stats().peak_groups_held;
    assert!((1..=8).contains(&peak), "held {peak} groups at once");
    body.as_object_mut().unwrap().remove("pageSize");
    assert_eq!(api.query(body).await, groups);
    assert!(api.emulator.stats().peak_groups_held as usize >= groups.len());
}

#[test]
fn the_built_in_scenario_is_the_file_the_docs_show() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/emulator/scenarios/default.json"
    );
    assert_eq!(
        Scenario::from_path(file).unwrap(),
        Scenario::default_centre()
    );
}

/// The rows of the true-effects table in `docs/emulator.md`: method, then each KPI's value
/// (relative for means, a difference for rates) and the queue names of its last column.
fn documented_effects() -> BTreeMap<String, (BTreeMap<String, f64>, BTreeSet<String>)> {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/emulator.md")).unwrap();
    let mut lines = docs
        .lines()
        .skip_while(|l| !l.starts_with("| method | avgSpeedOfAnswer |"));
    let header: Vec<String> = cells(lines.next().expect("the true-effects table"));
    let mut rows = BTreeMap::new();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let row = cells(line);
        let mut kpis = BTreeMap::new();
        for (kpi, cell) in header[1..header.len() - 1].iter().zip(&row[1..]) {
            let number = cell.trim_end_matches('%').trim_end_matches(" points");
            let value: f64 = number
                .parse()
                .unwrap_or_else(|_| panic!("`{cell}` in {line}"));
            kpis.insert(kpi.clone(), value / 100.0);
        }
        // The paradox's five hard queues are named in the bullet above the table.
        let queues = row[row.len() - 1].replace(
            "the five hard queues",
            "Technical Support L2, Claims, Collections, Retention, Fraud",
        );
        let queues = queues.split(", ").map(str::to_owned).collect();
        rows.insert(row[0].clone(), (kpis, queues));
    }
    rows
}

fn cells(line: &str) -> Vec<String> {
    line.trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_owned())
        .collect()
}

#[test]
fn the_true_effects_in_the_docs_are_the_ones_the_default_centre_plants() {
    let scenario = Scenario::default_centre();
    let documented = documented_effects();
    let mut planted: BTreeMap<String, (BTreeMap<String, f64>, BTreeSet<String>)> = BTreeMap::new();
    for effect in scenario.true_effects() {
        let entry = planted.entry(effect.method.clone()).or_default();
        entry.0.insert(effect.kpi.to_owned(), effect.value);
        entry.1 = effect
            .queues
            .iter()
            .map(|id| scenario.queue(id).unwrap().name.clone())
            .collect();
    }

    let methods = |m: &BTreeMap<String, _>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        methods(&documented),
        methods(&planted),
        "one row per planted method"
    );
    for (method, (kpis, queues)) in &planted {
        let (doc_kpis, doc_queues) = &documented[method];
        assert_eq!(doc_queues, queues, "{method}: queues shared with Standard");
        assert_eq!(doc_kpis.len(), 5, "{method}");
        for (kpi, value) in kpis {
            assert!(
                (doc_kpis[kpi] - value).abs() < 1e-9,
                "{method} {kpi}: the docs say {}, the centre plants {value}",
                doc_kpis[kpi]
            );
        }
    }
}

/// Per queue, the values of `dimension` its groups have over `window`.
async fn values_per_queue(
    api: &Api,
    window: &str,
    dimension: &str,
) -> BTreeMap<String, BTreeSet<String>> {
    let groups = api
        .query(query(window, None, &["queueId", dimension]))
        .await;
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for g in &groups {
        if let (Some(queue), Some(value)) = (
            g["group"]["queueId"].as_str(),
            g["group"][dimension].as_str(),
        ) {
            seen.entry(queue.to_owned())
                .or_default()
                .insert(value.to_owned());
        }
    }
    seen
}

#[tokio::test]
async fn each_queue_routes_to_its_several_skills_and_is_answered_by_its_own_agents() {
    let api = api().await;
    let window = "2024-05-06T00:00:00Z/2024-05-13T00:00:00Z";
    let skills = values_per_queue(&api, window, "requestedRoutingSkillId").await;
    let agents = values_per_queue(&api, window, "userId").await;

    for queue in &api.emulator.scenario().queues {
        let own_skills: BTreeSet<String> = queue.skills.iter().map(|s| s.id.clone()).collect();
        let own_agents: BTreeSet<String> = queue.agents.iter().cloned().collect();
        assert!(own_skills.len() >= 2, "{}: several skills", queue.name);
        assert_eq!(skills.get(&queue.id), Some(&own_skills), "{}", queue.name);
        assert_eq!(agents.get(&queue.id), Some(&own_agents), "{}", queue.name);
    }
}
