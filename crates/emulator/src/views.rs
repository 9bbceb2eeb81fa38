//! User-defined views of an aggregation query (`views`, function `rangeBound`).
//!
//! A view aggregates only the values of its target timer metric that fall in its range
//! (`gte` inclusive, `lt` exclusive), as Genesys documents it: a view named
//! `tKindOfShortAbandon` over `tAbandon` with `{"gte": 5000, "lt": 10000}` counts the abandons
//! of 5 to 10 seconds. Each bucket then carries `views: [{"name", "stats"}]` beside its
//! `metrics`, the stats shaped as the target's (`max`, `min`, `count`, `sum`).
//!
//! The data generator feeds every timer event to [`ViewTally::observe`]; everything else about
//! views (checking, accumulating, rendering) lives here.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::errors::Problem;
use super::query::KNOWN_METRICS;
use super::stat::Stat;

/// Most views one query may have (Genesys's documented limit).
const MAX_VIEWS: usize = 10;

/// One checked `rangeBound` view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct View {
    pub(crate) name: String,
    pub(crate) target: String,
    /// Inclusive lower bound in milliseconds.
    pub(crate) gte: Option<u64>,
    /// Exclusive upper bound in milliseconds.
    pub(crate) lt: Option<u64>,
}

impl View {
    fn admits(&self, value: u64) -> bool {
        self.gte.is_none_or(|low| value >= low) && self.lt.is_none_or(|high| value < high)
    }
}

/// Checks the query's `views`; every problem is collected.
pub(crate) fn parse_views(obj: &Map<String, Value>, problems: &mut Vec<Problem>) -> Vec<View> {
    let list = match obj.get("views") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push(Problem::field("views", "views must be a list of views"));
            return Vec::new();
        }
    };
    if list.len() > MAX_VIEWS {
        problems.push(Problem::field(
            "views",
            format!(
                "Too many views: {} given, at most {MAX_VIEWS} in one query",
                list.len()
            ),
        ));
    }
    let mut views: Vec<View> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let here = format!("views[{i}]");
        if let Some(view) = parse_view(item, &here, problems) {
            if views.iter().any(|v| v.name == view.name) {
                problems.push(Problem::field(
                    &here,
                    format!(
                        "{here}: view name `{}` is used twice; view names must be distinct",
                        view.name
                    ),
                ));
            } else {
                views.push(view);
            }
        }
    }
    views
}

fn parse_view(item: &Value, here: &str, problems: &mut Vec<Problem>) -> Option<View> {
    let Some(obj) = item.as_object() else {
        problems.push(Problem::field(
            here,
            format!("{here} must be an object with target, name, function and range"),
        ));
        return None;
    };
    let before = problems.len();
    for key in obj.keys() {
        if !matches!(key.as_str(), "target" | "name" | "function" | "range") {
            problems.push(Problem::field(
                here,
                format!(
                    "{here}: unknown field `{key}`; a view has target, name, function and range"
                ),
            ));
        }
    }
    let name = match obj.get("name").and_then(Value::as_str) {
        Some("") | None => {
            problems.push(Problem::field(here, format!("{here}: name is required")));
            None
        }
        Some(name) if KNOWN_METRICS.contains(&name) => {
            problems.push(Problem::field(
                here,
                format!("{here}: view name `{name}` is a built-in metric name; give the view a name of its own"),
            ));
            None
        }
        Some(name) => Some(name.to_owned()),
    };
    let target = match obj.get("target").and_then(Value::as_str) {
        None => {
            problems.push(Problem::field(here, format!("{here}: target is required")));
            None
        }
        Some(t) if !KNOWN_METRICS.contains(&t) => {
            problems.push(Problem::field(
                here,
                format!(
                    "{here}: unknown target metric `{t}`; a view's target is a built-in metric"
                ),
            ));
            None
        }
        Some(t) if !t.starts_with('t') => {
            problems.push(Problem::field(
                here,
                format!("{here}: target `{t}` is not a timer metric; rangeBound views take a t* metric such as tAnswered"),
            ));
            None
        }
        Some(t) => Some(t.to_owned()),
    };
    match obj.get("function").and_then(Value::as_str) {
        Some("rangeBound") => {}
        Some(other) => problems.push(Problem::field(
            here,
            format!("{here}: unknown view function `{other}`; the only one is rangeBound"),
        )),
        None => problems.push(Problem::field(
            here,
            format!("{here}: function is required (rangeBound)"),
        )),
    }
    let range = parse_range(obj.get("range"), here, problems);
    if problems.len() > before {
        return None;
    }
    let ((gte, lt), name, target) = (range?, name?, target?);
    Some(View {
        name,
        target,
        gte,
        lt,
    })
}

type Bounds = (Option<u64>, Option<u64>);

fn parse_range(value: Option<&Value>, here: &str, problems: &mut Vec<Problem>) -> Option<Bounds> {
    let Some(range) = value.and_then(Value::as_object) else {
        problems.push(Problem::field(
            here,
            format!(
                "{here}: range is required for rangeBound, e.g. {{\"gte\": 5000, \"lt\": 10000}}"
            ),
        ));
        return None;
    };
    let mut ok = true;
    for key in range.keys() {
        if !matches!(key.as_str(), "gte" | "lt") {
            problems.push(Problem::field(
                here,
                format!(
                    "{here}: unknown range bound `{key}`; use gte (inclusive) and lt (exclusive)"
                ),
            ));
            ok = false;
        }
    }
    let mut bound = |key: &str| match range.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(x) if x >= 0.0 && x.is_finite() => Some(x.ceil() as u64),
            _ => {
                problems.push(Problem::field(
                    here,
                    format!("{here}: range.{key} must be a non-negative number of milliseconds"),
                ));
                ok = false;
                None
            }
        },
    };
    let (gte, lt) = (bound("gte"), bound("lt"));
    match (gte, lt) {
        (None, None) if ok => {
            problems.push(Problem::field(
                here,
                format!("{here}: range needs gte, lt or both"),
            ));
            ok = false;
        }
        (Some(low), Some(high)) if low >= high => {
            problems.push(Problem::field(
                here,
                format!("{here}: range is empty: gte {low} is not below lt {high}"),
            ));
            ok = false;
        }
        _ => {}
    }
    ok.then_some((gte, lt))
}

/// The views of a query and their statistics over some slots; empty when the query has none.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ViewTally {
    views: Arc<[View]>,
    stats: Vec<Stat>,
}

impl ViewTally {
    /// A tally for these views, nothing observed yet.
    pub(crate) fn new(views: &Arc<[View]>) -> Self {
        ViewTally {
            views: Arc::clone(views),
            stats: vec![Stat::default(); views.len()],
        }
    }

    /// One event of `metric` with this value: counted by every view on it whose range holds it.
    pub(crate) fn observe(&mut self, metric: &str, value: u64) {
        for (view, stat) in self.views.iter().zip(self.stats.iter_mut()) {
            if view.target == metric && view.admits(value) {
                stat.record(value);
            }
        }
    }

    /// The bucket's `views` entries: `{"name", "stats"}`, views without events left out as
    /// metrics are.
    pub(crate) fn render(&self) -> Vec<Value> {
        self.views
            .iter()
            .zip(&self.stats)
            .filter(|(_, s)| s.count > 0)
            .map(|(view, s)| json!({"name": view.name, "stats": s.timer_json()}))
            .collect()
    }
}

/// One bucket of a group's `data`: its interval, its metrics and, when some view had events,
/// its `views`; `None` when it has neither metrics nor views (Genesys leaves it out).
pub(crate) fn bucket(interval: String, metrics: Vec<Value>, views: &ViewTally) -> Option<Value> {
    let views = views.render();
    if metrics.is_empty() && views.is_empty() {
        return None;
    }
    let mut bucket = Map::new();
    bucket.insert("interval".into(), Value::String(interval));
    bucket.insert("metrics".into(), Value::Array(metrics));
    if !views.is_empty() {
        bucket.insert("views".into(), Value::Array(views));
    }
    Some(Value::Object(bucket))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn views_of(body: Value) -> Result<Vec<View>, Vec<Problem>> {
        let mut problems = Vec::new();
        let views = parse_views(body.as_object().unwrap(), &mut problems);
        if problems.is_empty() {
            Ok(views)
        } else {
            Err(problems)
        }
    }

    #[test]
    fn a_view_counts_only_values_in_its_range() {
        let views: Arc<[View]> = views_of(json!({"views": [
            {"target": "tAbandon", "name": "tKindOfShortAbandon", "function": "rangeBound",
             "range": {"gte": 5000, "lt": 10000}}]}))
        .unwrap()
        .into();
        let mut tally = ViewTally::new(&views);
        for value in [4999, 5000, 7000, 9999, 10000] {
            tally.observe("tAbandon", value);
        }
        tally.observe("tAnswered", 6000);
        let rendered = tally.render();
        assert_eq!(rendered.len(), 1);
        assert_eq!(rendered[0]["name"], "tKindOfShortAbandon");
        assert_eq!(
            rendered[0]["stats"],
            json!({"max": 9999.0, "min": 5000.0, "count": 3, "sum": 21999.0})
        );
    }

    #[test]
    fn malformed_views_are_refused_each_with_its_reason() {
        let problems = views_of(json!({"views": [
            {"target": "tAnswered", "name": "nOffered", "function": "rangeBound", "range": {"lt": 1}},
            {"target": "tBogus", "name": "a", "function": "rangeBound", "range": {"lt": 1}},
            {"target": "nOffered", "name": "b", "function": "rangeBound", "range": {"lt": 1}},
            {"target": "tAnswered", "name": "c", "function": "percentile", "range": {"lt": 1}},
            {"target": "tAnswered", "name": "d", "function": "rangeBound", "range": {}},
            {"target": "tAnswered", "name": "e", "function": "rangeBound", "range": {"gte": 9, "lt": 9}},
            {"target": "tAnswered", "name": "f", "function": "rangeBound", "range": {"gt": 1}},
            {"target": "tAnswered", "name": "g", "function": "rangeBound"},
        ]}))
        .unwrap_err();
        let text: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        let expect = [
            "`nOffered` is a built-in metric name",
            "unknown target metric `tBogus`",
            "`nOffered` is not a timer metric",
            "unknown view function `percentile`",
            "range needs gte, lt or both",
            "range is empty",
            "unknown range bound `gt`",
            "range is required",
        ];
        assert_eq!(text.len(), expect.len(), "{text:#?}");
        for (message, wanted) in text.iter().zip(expect) {
            assert!(message.contains(wanted), "`{message}` lacks `{wanted}`");
        }
    }

    #[test]
    fn view_names_must_be_distinct_and_few() {
        let view = json!({"target": "tTalk", "name": "same", "function": "rangeBound", "range": {"lt": 5}});
        let problems = views_of(json!({"views": [view, view]})).unwrap_err();
        assert!(problems[0].message.contains("used twice"));
        let many: Vec<Value> = (0..11)
            .map(|i| json!({"target": "tTalk", "name": format!("v{i}"), "function": "rangeBound", "range": {"lt": 5}}))
            .collect();
        let problems = views_of(json!({ "views": many })).unwrap_err();
        assert!(problems[0].message.contains("at most 10"));
    }
}
