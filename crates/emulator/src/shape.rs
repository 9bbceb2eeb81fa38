//! The shape of the results list, once the data has been aggregated: every result carries a
//! `group` object, and `topN` / `bottomN` queries keep only their `limit` best (or worst)
//! groups, ordered by their `sortMetric`.
//!
//! Genesys documents `queryType` as "groupBy for all matching results, and topN/bottomN for N
//! results ordered by the sortMetric", `sortMetric` as "required when requesting multiple
//! metrics", and both `sortMetric` and `limit` as "only applicable for topN/bottomN". The
//! emulator applies exactly that, and refuses rather than ignores what it cannot honour.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::errors::Problem;

/// How the groups of the answer are chosen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Selection {
    /// Every group (`queryType` absent or `groupBy`).
    All,
    /// The `limit` groups with the highest (`top`) or lowest sort value.
    Ranked {
        top: bool,
        metric: String,
        function: Function,
        limit: usize,
    },
}

/// The aggregation function of a `sortMetric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Function {
    Count,
    Sum,
    Min,
    Max,
}

impl Function {
    fn parse(name: &str) -> Option<Function> {
        Some(match name {
            "count" => Function::Count,
            "sum" => Function::Sum,
            "min" => Function::Min,
            "max" => Function::Max,
            _ => return None,
        })
    }

    fn field(self) -> &'static str {
        match self {
            Function::Count => "count",
            Function::Sum => "sum",
            Function::Min => "min",
            Function::Max => "max",
        }
    }
}

/// Checks `queryType`, `sortMetric` and `limit` against the query's `metrics`.
pub(crate) fn parse_selection(
    obj: &Map<String, Value>,
    metrics: &[String],
    problems: &mut Vec<Problem>,
) -> Selection {
    let present = |key: &str| obj.get(key).is_some_and(|v| !v.is_null());
    let top = match obj.get("queryType") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t == "groupBy" => None,
        Some(Value::String(t)) if t == "topN" => Some(true),
        Some(Value::String(t)) if t == "bottomN" => Some(false),
        Some(other) => {
            problems.push(Problem::field(
                "queryType",
                format!("Unknown queryType {other}: use groupBy, topN or bottomN"),
            ));
            return Selection::All;
        }
    };
    let Some(top) = top else {
        for key in ["sortMetric", "limit"] {
            if present(key) {
                problems.push(Problem::field(
                    key,
                    format!("{key} applies only to queryType topN or bottomN; set queryType or leave {key} out"),
                ));
            }
        }
        return Selection::All;
    };
    let limit = parse_limit(obj.get("limit"), problems);
    let sort = parse_sort(obj.get("sortMetric"), metrics, problems);
    match (limit, sort) {
        (Some(limit), Some((metric, function))) => Selection::Ranked {
            top,
            metric,
            function,
            limit,
        },
        _ => Selection::All,
    }
}

fn parse_limit(value: Option<&Value>, problems: &mut Vec<Problem>) -> Option<usize> {
    match value {
        None | Some(Value::Null) => {
            problems.push(Problem::field(
                "limit",
                "limit is required with queryType topN or bottomN: how many groups to keep",
            ));
            None
        }
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                problems.push(Problem::field("limit", "limit must be a positive integer"));
                None
            }
        },
    }
}

/// The functions a metric's stats have: `count` for `n*` metrics, all four for timers; `o*`
/// metrics (ratios such as `oServiceLevel`) have none to rank by.
fn functions_of(metric: &str) -> &'static [&'static str] {
    if metric.starts_with('t') {
        &["count", "sum", "min", "max"]
    } else if metric.starts_with('n') {
        &["count"]
    } else {
        &[]
    }
}

fn parse_sort(
    value: Option<&Value>,
    metrics: &[String],
    problems: &mut Vec<Problem>,
) -> Option<(String, Function)> {
    let (name, function) = match value {
        None | Some(Value::Null) => match metrics {
            [only] => (only.clone(), "count".to_owned()),
            [] => return None,
            _ => {
                problems.push(Problem::field(
                    "sortMetric",
                    "sortMetric is required with topN or bottomN when the query has several metrics: give {\"name\", \"function\"}",
                ));
                return None;
            }
        },
        Some(Value::Object(sort)) => {
            if let Some(key) = sort
                .keys()
                .find(|k| !matches!(k.as_str(), "name" | "function"))
            {
                problems.push(Problem::field(
                    "sortMetric",
                    format!("sortMetric: unknown field `{key}`; it has name and function"),
                ));
                return None;
            }
            let text = |key: &str| sort.get(key).and_then(Value::as_str).map(str::to_owned);
            match (text("name"), text("function")) {
                (Some(name), Some(function)) => (name, function),
                _ => {
                    problems.push(Problem::field(
                        "sortMetric",
                        "sortMetric needs a name (one of the query's metrics) and a function (count, sum, min or max)",
                    ));
                    return None;
                }
            }
        }
        Some(_) => {
            problems.push(Problem::field(
                "sortMetric",
                "sortMetric must be an object {\"name\", \"function\"}",
            ));
            return None;
        }
    };
    if !metrics.contains(&name) {
        problems.push(Problem::field(
            "sortMetric",
            format!("sortMetric.name `{name}` is not one of the query's metrics"),
        ));
        return None;
    }
    let Some(parsed) = Function::parse(&function) else {
        problems.push(Problem::field(
            "sortMetric",
            format!("Unknown sortMetric.function `{function}`: use count, sum, min or max"),
        ));
        return None;
    };
    let allowed = functions_of(&name);
    if !allowed.contains(&function.as_str()) {
        let problem = if allowed.is_empty() {
            format!(
                "Cannot rank by `{name}`: it is a ratio, not a count or a timer; sort by an n* or t* metric"
            )
        } else {
            format!(
                "sortMetric `{name}` has no `{function}`; use {}",
                allowed.join(", ")
            )
        };
        problems.push(Problem::field("sortMetric", problem));
        return None;
    }
    Some((name, parsed))
}

/// Shapes aggregated groups into the answer's `results`.
pub(crate) fn finish(selection: &Selection, mut results: Vec<Value>) -> Vec<Value> {
    for result in &mut results {
        ensure_group(result);
    }
    if let Selection::Ranked {
        top,
        metric,
        function,
        limit,
    } = selection
    {
        let mut keyed: Vec<(Option<f64>, Value)> = results
            .into_iter()
            .map(|r| (sort_value(&r, metric, *function), r))
            .collect();
        // Stable: ties keep the groups' usual order. Groups without the metric come last.
        keyed.sort_by(|(a, _), (b, _)| match (a, b) {
            (Some(a), Some(b)) if *top => b.partial_cmp(a).unwrap_or(Ordering::Equal),
            (Some(a), Some(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        });
        results = keyed.into_iter().take(*limit).map(|(_, r)| r).collect();
    }
    results
}

/// Genesys answers every result with a `group` object, `{}` when no grouped dimension has a
/// value.
fn ensure_group(result: &mut Value) {
    if let Some(obj) = result.as_object_mut() {
        obj.entry("group")
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

/// A group's value of `function` on `metric` over all its buckets; `None` without events.
fn sort_value(result: &Value, metric: &str, function: Function) -> Option<f64> {
    let field = function.field();
    let values = result
        .get("data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|bucket| bucket.get("metrics")?.as_array())
        .flatten()
        .filter(|m| m.get("metric").and_then(Value::as_str) == Some(metric))
        .filter_map(|m| m.get("stats")?.get(field)?.as_f64());
    match function {
        Function::Count | Function::Sum => values.reduce(|a, b| a + b),
        Function::Min => values.reduce(f64::min),
        Function::Max => values.reduce(f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selection(body: Value, metrics: &[&str]) -> Result<Selection, Vec<Problem>> {
        let metrics: Vec<String> = metrics.iter().map(|m| (*m).to_owned()).collect();
        let mut problems = Vec::new();
        let s = parse_selection(body.as_object().unwrap(), &metrics, &mut problems);
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(problems)
        }
    }

    fn group(name: &str, counts: &[u64]) -> Value {
        let data: Vec<Value> = counts
            .iter()
            .map(|c| json!({"interval": "i", "metrics": [{"metric": "tAnswered", "stats": {"count": c, "sum": 10 * c, "max": c, "min": 1}}]}))
            .collect();
        json!({"group": {"queueId": name}, "data": data})
    }

    fn names(results: &[Value]) -> Vec<&str> {
        results
            .iter()
            .map(|r| r["group"]["queueId"].as_str().unwrap_or("-"))
            .collect()
    }

    #[test]
    fn top_n_sorts_by_the_total_over_buckets_and_keeps_limit() {
        let results = vec![
            group("a", &[1, 1]),
            group("b", &[5]),
            group("c", &[2, 2]),
            json!({"group": {"queueId": "none"}, "data": []}),
        ];
        let top = selection(
            json!({"queryType": "topN", "limit": 2, "sortMetric": {"name": "tAnswered", "function": "sum"}}),
            &["tAnswered", "nOffered"],
        )
        .unwrap();
        assert_eq!(names(&finish(&top, results.clone())), ["b", "c"]);
        let bottom =
            selection(json!({"queryType": "bottomN", "limit": 3}), &["tAnswered"]).unwrap();
        assert_eq!(names(&finish(&bottom, results.clone())), ["a", "c", "b"]);
        let max = selection(
            json!({"queryType": "topN", "limit": 9, "sortMetric": {"name": "tAnswered", "function": "max"}}),
            &["tAnswered"],
        )
        .unwrap();
        assert_eq!(names(&finish(&max, results)), ["b", "c", "a", "none"]);
    }

    #[test]
    fn every_result_gets_a_group_object() {
        let out = finish(&Selection::All, vec![json!({"data": []})]);
        assert_eq!(out[0]["group"], json!({}));
    }

    #[test]
    fn ranking_fields_are_refused_when_they_cannot_be_honoured() {
        let cases = [
            (json!({"limit": 5}), "applies only to queryType topN"),
            (
                json!({"queryType": "groupBy", "sortMetric": {"name": "nOffered", "function": "count"}}),
                "applies only",
            ),
            (json!({"queryType": "sideways"}), "Unknown queryType"),
            (
                json!({"queryType": "topN", "sortMetric": {"name": "nOffered", "function": "count"}}),
                "limit is required",
            ),
            (json!({"queryType": "topN", "limit": 0}), "positive integer"),
            (
                json!({"queryType": "topN", "limit": 3}),
                "sortMetric is required",
            ),
            (
                json!({"queryType": "topN", "limit": 3, "sortMetric": {"name": "tHandle", "function": "sum"}}),
                "not one of the query's metrics",
            ),
            (
                json!({"queryType": "topN", "limit": 3, "sortMetric": {"name": "nOffered", "function": "sum"}}),
                "has no `sum`",
            ),
            (
                json!({"queryType": "topN", "limit": 3, "sortMetric": {"name": "oServiceLevel", "function": "count"}}),
                "it is a ratio",
            ),
            (
                json!({"queryType": "topN", "limit": 3, "sortMetric": {"name": "nOffered", "function": "avg"}}),
                "Unknown sortMetric.function",
            ),
        ];
        for (body, wanted) in cases {
            let problems = selection(body.clone(), &["nOffered", "oServiceLevel"]).unwrap_err();
            assert!(
                problems.iter().any(|p| p.message.contains(wanted)),
                "{body}: {problems:?}"
            );
        }
    }
}
