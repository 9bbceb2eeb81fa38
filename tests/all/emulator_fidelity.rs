//! The emulator answers in Genesys's shape, over real HTTP: a `group` object on every result
//! (with `mediaType`), `rangeBound` views, `topN` / `bottomN`, and a 400 naming whatever
//! query field it cannot honour instead of silently ignoring it.

use std::time::Duration;

use reqwest::StatusCode;
use routing_eval_emulator::{Emulator, Scenario};
use serde_json::{Value, json};

use crate::support::Api;

const JOBS: &str = "api/v2/analytics/conversations/aggregates/jobs";
const QUERY: &str = "api/v2/analytics/conversations/aggregates/query";
const WEEK: &str = "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z";

/// An emulator serving the default centre, spoken to over raw HTTP.
async fn api() -> Api {
    serving(Scenario::default_centre()).await
}

/// An emulator serving `scenario`, spoken to over raw HTTP.
async fn serving(scenario: Scenario) -> Api {
    Api::start(
        Emulator::builder()
            .job_latency(Duration::ZERO)
            .scenario(scenario),
    )
    .await
}

impl Api {
    /// The synchronous query's `results`, asserting a 200.
    async fn results(&self, query: &Value) -> Vec<Value> {
        let (status, body, _) = self.post(QUERY, query).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["results"].as_array().expect("results").clone()
    }

    /// A job's groups, every page, and how many pages there were.
    async fn job_results(&self, query: &Value) -> (Vec<Value>, usize) {
        let (status, body, _) = self.post(JOBS, query).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        let id = body["jobId"].as_str().unwrap().to_owned();
        let (status, body, _) = self.get(&format!("{JOBS}/{id}")).await;
        assert_eq!(
            (status, &body["state"]),
            (StatusCode::OK, &json!("FULFILLED"))
        );
        let pages = self.result_pages(&id).await;
        let groups = pages
            .iter()
            .flat_map(|page| page["results"].as_array().unwrap().iter().cloned())
            .collect();
        (groups, pages.len())
    }

    /// Asserts a 400 whose messages mention every one of `wanted`.
    async fn refused(&self, path: &str, query: &Value, wanted: &[&str]) {
        let (status, body, _) = self.post(path, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} -> {body}");
        assert_eq!(body["code"], "bad.request");
        let messages: Vec<&str> = body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["message"].as_str())
            .collect();
        for w in wanted {
            assert!(
                messages.iter().any(|m| m.contains(w)),
                "{query}: no message mentions `{w}`: {messages:?}"
            );
        }
    }
}

fn total(group: &Value, metric: &str, field: &str) -> f64 {
    group["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["metrics"].as_array().unwrap())
        .filter(|m| m["metric"] == metric)
        .map(|m| m["stats"][field].as_f64().unwrap())
        .sum()
}

/// The default centre with every queue on voice alone.
fn voice_only() -> Scenario {
    let mut scenario = Scenario::default_centre();
    for queue in &mut scenario.queues {
        queue.media_types = [("voice".to_owned(), 1.0)].into();
    }
    scenario
}

#[tokio::test]
async fn emulator_every_result_has_a_group_naming_its_media_type() {
    // Several media types: an ungrouped query answers one result per media type.
    let mixed = api().await;
    let ungrouped = mixed
        .results(&json!({"interval": WEEK, "metrics": ["nOffered"]}))
        .await;
    let media: Vec<Value> = mixed
        .emulator
        .dimension_values("mediaType")
        .into_iter()
        .map(|m| json!({ "mediaType": m }))
        .collect();
    assert!(media.len() > 1, "the default centre serves several media");
    let groups: Vec<&Value> = ungrouped.iter().map(|r| &r["group"]).collect();
    assert_eq!(groups, media.iter().collect::<Vec<_>>(), "{ungrouped:?}");

    let api = serving(voice_only()).await;
    let ungrouped = api
        .results(&json!({"interval": WEEK, "metrics": ["nOffered"]}))
        .await;
    assert_eq!(ungrouped.len(), 1, "{ungrouped:?}");
    assert_eq!(ungrouped[0]["group"], json!({"mediaType": "voice"}));

    let by_routing = api
        .results(&json!({"interval": WEEK, "metrics": ["nOffered"], "groupBy": ["usedRouting"]}))
        .await;
    let unrouted: Vec<&Value> = by_routing
        .iter()
        .filter(|r| r["group"].get("usedRouting").is_none())
        .collect();
    assert_eq!(
        unrouted.len(),
        1,
        "the abandons before routing form one group"
    );
    assert_eq!(unrouted[0]["group"], json!({"mediaType": "voice"}));
    for result in &by_routing {
        assert_eq!(result["group"]["mediaType"], "voice", "{result}");
    }
    // Grouping by mediaType explicitly gives the same groups.
    let explicit = api
        .results(&json!({"interval": WEEK, "metrics": ["nOffered"], "groupBy": ["usedRouting", "mediaType"]}))
        .await;
    assert_eq!(explicit, by_routing);

    let (paged, pages) = api
        .job_results(&json!({"interval": WEEK, "metrics": ["nOffered"], "groupBy": ["queueId", "usedRouting"], "pageSize": 3}))
        .await;
    assert!(pages > 1);
    assert!(paged.iter().all(|r| r["group"]["mediaType"] == "voice"));
}

fn view(name: &str, target: &str, range: Value) -> Value {
    json!({"name": name, "target": target, "function": "rangeBound", "range": range})
}

#[tokio::test]
async fn emulator_range_bound_views_split_their_target_metric_exactly() {
    let api = api().await;
    let query = json!({
        "interval": WEEK, "granularity": "P1D", "groupBy": ["usedRouting"],
        "metrics": ["tAnswered"],
        "views": [view("tAnsweredFast", "tAnswered", json!({"lt": 20000})),
                  view("tAnsweredSlow", "tAnswered", json!({"gte": 20000}))],
    });
    let results = api.results(&query).await;
    let mut buckets = 0;
    for bucket in results.iter().flat_map(|r| r["data"].as_array().unwrap()) {
        let Some(answered) = bucket["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == "tAnswered")
        else {
            continue;
        };
        buckets += 1;
        let views = bucket["views"].as_array().expect("views beside metrics");
        let stat = |name: &str, field: &str| {
            views
                .iter()
                .find(|v| v["name"] == name)
                .map_or(0.0, |v| v["stats"][field].as_f64().unwrap())
        };
        for field in ["count", "sum"] {
            let whole = answered["stats"][field].as_f64().unwrap();
            assert_eq!(
                stat("tAnsweredFast", field) + stat("tAnsweredSlow", field),
                whole
            );
        }
        for v in views {
            let keys: Vec<&String> = v["stats"].as_object().unwrap().keys().collect();
            assert_eq!(keys, ["count", "max", "min", "sum"], "{v}");
        }
        if stat("tAnsweredFast", "count") > 0.0 {
            assert!(stat("tAnsweredFast", "max") < 20000.0);
        }
        if stat("tAnsweredSlow", "count") > 0.0 {
            assert!(stat("tAnsweredSlow", "min") >= 20000.0);
        }
    }
    assert!(buckets > 7, "too few buckets with answers: {buckets}");

    // Views alone, in a job: the data comes back in `views`, paged like metrics.
    let (groups, _) = api
        .job_results(&json!({
            "interval": WEEK, "metrics": [], "groupBy": ["queueId"], "pageSize": 1,
            "views": [view("tLongTalk", "tTalk", json!({"gte": 600000}))]}))
        .await;
    assert!(!groups.is_empty());
    for group in &groups {
        for bucket in group["data"].as_array().unwrap() {
            assert_eq!(bucket["metrics"], json!([]));
            assert_eq!(bucket["views"][0]["name"], "tLongTalk");
            assert!(bucket["views"][0]["stats"]["min"].as_f64().unwrap() >= 600000.0);
        }
    }
}

#[tokio::test]
async fn emulator_refuses_malformed_views_naming_the_problem() {
    let api = api().await;
    let with = |v: Value| json!({"interval": WEEK, "metrics": ["nOffered"], "views": [v]});
    let cases = [
        (
            view("tAnswered", "tAnswered", json!({"lt": 1})),
            "view name `tAnswered` is a built-in metric name",
        ),
        (
            view("fast", "tAnsweredd", json!({"lt": 1})),
            "unknown target metric `tAnsweredd`",
        ),
        (
            view("fast", "nOffered", json!({"lt": 1})),
            "`nOffered` is not a timer metric",
        ),
        (
            view("fast", "tAnswered", json!({"gte": 5, "lt": 5})),
            "range is empty",
        ),
        (
            view("fast", "tAnswered", json!({"lte": 5})),
            "unknown range bound `lte`",
        ),
        (
            view("fast", "tAnswered", json!({"lt": "soon"})),
            "range.lt must be a non-negative number",
        ),
        (
            json!({"name": "fast", "target": "tAnswered", "function": "rangeBound"}),
            "range is required",
        ),
        (
            json!({"name": "fast", "target": "tAnswered", "function": "median", "range": {"lt": 1}}),
            "unknown view function `median`",
        ),
    ];
    for (v, wanted) in cases {
        api.refused(QUERY, &with(v.clone()), &[wanted]).await;
        api.refused(JOBS, &with(v), &[wanted]).await;
    }
}

#[tokio::test]
async fn emulator_top_and_bottom_n_keep_the_ranked_groups() {
    let api = api().await;
    let base = json!({"interval": WEEK, "granularity": "P1D", "groupBy": ["queueId", "usedRouting"], "metrics": ["nOffered", "tAnswered"]});
    let all = api.results(&base).await;
    assert!(all.len() > 5);
    let ranked = |function: &str, top: bool| {
        let mut values: Vec<f64> = all
            .iter()
            .map(|g| match function {
                "count" => total(g, "nOffered", "count"),
                _ => total(g, "tAnswered", "sum"),
            })
            .collect();
        values.sort_by(|a, b| a.partial_cmp(b).unwrap());
        if top {
            values.reverse();
        }
        values
    };
    let mut top = base.clone();
    top["queryType"] = json!("topN");
    top["limit"] = json!(3);
    top["sortMetric"] = json!({"name": "nOffered", "function": "count"});
    let answer = api.results(&top).await;
    let got: Vec<f64> = answer
        .iter()
        .map(|g| total(g, "nOffered", "count"))
        .collect();
    assert_eq!(got, ranked("count", true)[..3]);
    for g in &answer {
        assert!(
            all.contains(g),
            "a topN group differs from its groupBy twin"
        );
    }

    let mut bottom = base.clone();
    bottom["queryType"] = json!("bottomN");
    bottom["limit"] = json!(2);
    bottom["sortMetric"] = json!({"name": "tAnswered", "function": "sum"});
    let answer = api.results(&bottom).await;
    let got: Vec<f64> = answer
        .iter()
        .map(|g| total(g, "tAnswered", "sum"))
        .collect();
    // Groups without answers (abandons before routing) rank after every group with some.
    let with_answers: Vec<f64> = ranked("sum", false)
        .into_iter()
        .filter(|v| *v > 0.0)
        .collect();
    assert_eq!(got, with_answers[..2]);

    // In a job, the limit applies before paging.
    let mut paged = top.clone();
    paged["pageSize"] = json!(2);
    let (groups, pages) = api.job_results(&paged).await;
    assert_eq!((groups.len(), pages), (3, 2));
    assert_eq!(groups, api.results(&top).await);
}

#[tokio::test]
async fn emulator_refuses_query_fields_it_would_otherwise_ignore() {
    let api = api().await;
    let with = |extra: Value| {
        let mut q = json!({"interval": WEEK, "metrics": ["nOffered", "tAnswered"]});
        for (k, v) in extra.as_object().unwrap() {
            q[k] = v.clone();
        }
        q
    };
    let cases = [
        (json!({"limit": 5}), "limit applies only to queryType topN"),
        (
            json!({"sortMetric": {"name": "nOffered", "function": "count"}}),
            "sortMetric applies only to queryType topN",
        ),
        (json!({"queryType": "top10"}), "Unknown queryType"),
        (
            json!({"queryType": "topN", "limit": 3}),
            "sortMetric is required",
        ),
        (
            json!({"queryType": "topN", "sortMetric": {"name": "nOffered", "function": "count"}}),
            "limit is required",
        ),
        (
            json!({"queryType": "bottomN", "limit": 3, "sortMetric": {"name": "tHandle", "function": "sum"}}),
            "sortMetric.name `tHandle` is not one of the query's metrics",
        ),
        (json!({"paging": {"pageSize": 5}}), "Unknown field `paging`"),
        (
            json!({"alternateTimeDimension": "conversationStart"}),
            "alternateTimeDimension",
        ),
        (
            json!({"flattenMultivaluedDimensions": "yes"}),
            "flattenMultivaluedDimensions must be true or false",
        ),
        (
            json!({"filter": {"type": "and", "predicates": [
                {"dimension": "queueId", "operator": "matches", "value": "q", "range": {"gte": 1}}]}}),
            "field `range` is not supported",
        ),
    ];
    for (extra, wanted) in cases {
        api.refused(QUERY, &with(extra), &[wanted]).await;
    }
    api.refused(
        QUERY,
        &with(json!({"pageSize": 10})),
        &["pageSize applies only to aggregates jobs"],
    )
    .await;
    // What is honoured is accepted.
    let accepted = with(
        json!({"flattenMultivaluedDimensions": true, "alternateTimeDimension": "eventTime", "queryType": "groupBy"}),
    );
    assert_eq!(
        api.results(&accepted).await,
        api.results(&with(json!({}))).await
    );
}
