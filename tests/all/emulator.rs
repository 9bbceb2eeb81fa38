//! The emulator over real HTTP: authentication, validation, the job lifecycle, paging, the
//! strategies facade, every scripted fault, and the determinism and additivity of its data.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use routing_eval_emulator::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Emulator, Endpoint, Fault, ROUTING_METHODS,
};
use serde_json::{Value, json};

use crate::support::{Api, answer, fetch_token, token_request};

const JOBS: &str = "api/v2/analytics/conversations/aggregates/jobs";
const QUERY: &str = "api/v2/analytics/conversations/aggregates/query";
const STRATEGIES: &str = "api/v2/analytics/routing/strategies/query";
const FACADE_JOBS: &str = "api/v2/analytics/jobs";

impl Api {
    async fn quick() -> Api {
        Api::start(Emulator::builder().job_latency(Duration::ZERO)).await
    }

    /// Submits a job and returns its id.
    async fn submit(&self, query: &Value) -> String {
        let (status, body, _) = self.post(JOBS, query).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        body["jobId"].as_str().expect("jobId").to_owned()
    }

    /// Polls a job until it leaves QUEUED/PENDING, returning the status body.
    async fn wait(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let (status, body, _) = self.get(&format!("{JOBS}/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let state = body["state"].as_str().unwrap().to_owned();
            if state != "QUEUED" && state != "PENDING" {
                return body;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "job never finished"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a job to the end and returns every group.
    async fn run_job(&self, query: &Value) -> Vec<Value> {
        let id = self.submit(query).await;
        assert_eq!(self.wait(&id).await["state"], "FULFILLED");
        self.result_pages(&id)
            .await
            .into_iter()
            .flat_map(|p| p["results"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

/// An error body names, as its `contextId`, the correlation id its answer carries.
fn assert_context_id_is_the_correlation_id(body: &Value, headers: &reqwest::header::HeaderMap) {
    assert_eq!(
        body["contextId"],
        headers["inin-correlation-id"].to_str().unwrap(),
        "{body}"
    );
}

fn week_query() -> Value {
    json!({
        "interval": "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z",
        "granularity": "P1D",
        "groupBy": ["usedRouting", "queueId"],
        "metrics": ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel", "nTransferred"],
    })
}

fn metric<'a>(bucket: &'a Value, name: &str) -> Option<&'a Value> {
    bucket["metrics"]
        .as_array()?
        .iter()
        .find(|m| m["metric"] == name)
        .map(|m| &m["stats"])
}

/// Sums `metric.stats.field` over every bucket of every group, keyed by `dimension`.
fn totals(
    groups: &[Value],
    dimension: &str,
    name: &str,
    field: &str,
) -> BTreeMap<Option<String>, f64> {
    let mut out = BTreeMap::new();
    for group in groups {
        let key = group["group"][dimension].as_str().map(str::to_owned);
        for bucket in group["data"].as_array().unwrap() {
            if let Some(stats) = metric(bucket, name) {
                *out.entry(key.clone()).or_insert(0.0) += stats[field].as_f64().unwrap();
            }
        }
    }
    out
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[tokio::test]
async fn token_is_issued_for_the_right_pair_only() {
    let emulator = Emulator::start().await.unwrap();
    assert_eq!(emulator.client_id(), DEFAULT_CLIENT_ID);
    assert_eq!(emulator.client_secret(), DEFAULT_CLIENT_SECRET);
    let http = reqwest::Client::new();
    let (status, body) =
        fetch_token(&http, &emulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_400);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);

    let (status, body) = fetch_token(&http, &emulator, DEFAULT_CLIENT_ID, "wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["description"].as_str().is_some());
    assert_eq!(emulator.stats().token_requests, 2);
}

#[tokio::test]
async fn token_needs_the_client_credentials_grant() {
    let emulator = Emulator::start().await.unwrap();
    let (status, body, _) = answer(
        token_request(&emulator, &[("grant_type", "password")])
            .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn configured_credentials_replace_the_default_pair() {
    let emulator = Emulator::builder()
        .credentials("me", "s3cret")
        .start()
        .await
        .unwrap();
    let http = reqwest::Client::new();
    assert_eq!(
        fetch_token(&http, &emulator, "me", "s3cret").await.0,
        StatusCode::OK
    );
    let (status, body) =
        fetch_token(&http, &emulator, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
}

#[tokio::test]
async fn api_refuses_missing_and_unknown_tokens() {
    let emulator = Emulator::start().await.unwrap();
    let http = reqwest::Client::new();
    let url = emulator.base_url().join(QUERY).unwrap();
    let query = || http.post(url.clone()).json(&week_query());
    let (status, body, _) = answer(query()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "authentication.required");
    let (status, body, _) = answer(query().bearer_auth("forged")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad.credentials");
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let api = Api::start(Emulator::builder().token_lifetime(Duration::from_secs(1))).await;
    // A 404 for an unknown job shows the token was accepted.
    assert_eq!(
        api.get(&format!("{JOBS}/none")).await.0,
        StatusCode::NOT_FOUND
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body, _) = api.post(QUERY, &week_query()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad.credentials");
}

#[tokio::test]
async fn every_answer_carries_correlation_and_rate_limit_headers() {
    let api = Api::quick().await;
    let (_, _, headers) = api.post(QUERY, &week_query()).await;
    for name in [
        "inin-correlation-id",
        "inin-ratelimit-allowed",
        "inin-ratelimit-count",
        "inin-ratelimit-reset",
    ] {
        assert!(headers.contains_key(name), "{name} missing");
    }
    assert_eq!(headers["inin-ratelimit-allowed"], "300");
    let (_, _, headers) = api.post(QUERY, &week_query()).await;
    assert_eq!(headers["inin-ratelimit-count"], "2");
}

#[tokio::test]
async fn validation_errors_list_every_problem_with_context_id_equal_to_the_header() {
    let api = Api::quick().await;
    let (status, body, headers) = api
        .post(
            JOBS,
            &json!({"interval": "2024-05-08T00:00:00Z/2024-05-01T00:00:00Z", "metrics": ["nOffered", "nNonsense"], "granularity": "one day"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "bad.request");
    assert_eq!(body["status"], 400);
    assert_context_id_is_the_correlation_id(&body, &headers);
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");
    let fields: Vec<&str> = body["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["fieldName"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["interval", "metrics", "granularity"]);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("start must be before the end"),
        "{body}"
    );
}

#[tokio::test]
async fn queries_need_interval_and_metrics() {
    let api = Api::quick().await;
    for (body, field) in [
        (json!({"metrics": ["nOffered"]}), "interval"),
        (
            json!({"interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z"}),
            "metrics",
        ),
        (
            json!({"interval": "2024-05-01/2024-05-02", "metrics": ["nOffered"]}),
            "interval",
        ),
        (
            json!({"interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "metrics": ["nOffered"], "groupBy": ["shoeSize"]}),
            "groupBy",
        ),
        (
            json!({"interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "metrics": ["nOffered"], "timeZone": "Mars/Olympus"}),
            "timeZone",
        ),
        (
            json!({"interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "metrics": ["nOffered"], "filter": {"type": "xor", "predicates": [{"dimension": "queueId", "value": "q"}]}}),
            "filter.type",
        ),
        (
            json!({"interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z", "metrics": ["nOffered"], "pageSize": 0}),
            "pageSize",
        ),
    ] {
        let (status, answer, _) = api.post(JOBS, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["details"][0]["fieldName"], field, "{answer}");
    }
    let (status, _, _) = api
        .send(
            api.http
                .post(api.url(QUERY))
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn job_goes_queued_then_fulfilled_after_its_latency() {
    let api = Api::start(Emulator::builder().job_latency(Duration::from_secs(1))).await;
    let id = api.submit(&week_query()).await;
    let (_, first, _) = api.get(&format!("{JOBS}/{id}")).await;
    assert_eq!(first["state"], "QUEUED");
    assert!(first["submissionDate"].as_str().is_some());
    assert!(first.get("completionDate").is_none());
    let (status, early, _) = api.get(&format!("{JOBS}/{id}/results")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{early}");
    tokio::time::sleep(Duration::from_millis(550)).await;
    assert_eq!(api.get(&format!("{JOBS}/{id}")).await.1["state"], "PENDING");
    let done = api.wait(&id).await;
    assert_eq!(done["state"], "FULFILLED");
    assert!(done["completionDate"].as_str().is_some());
    let stats = api.emulator.stats();
    assert_eq!(stats.submissions, 1);
    assert!(stats.status_polls >= 3);
}

#[tokio::test]
async fn results_are_paged_by_cursor_with_the_query_page_size() {
    let api = Api::quick().await;
    let mut query = week_query();
    query["pageSize"] = json!(3);
    let id = api.submit(&query).await;
    api.wait(&id).await;
    let pages = api.result_pages(&id).await;
    assert!(pages.len() >= 3, "{} pages", pages.len());
    for page in &pages[..pages.len() - 1] {
        assert_eq!(page["results"].as_array().unwrap().len(), 3);
    }
    let last = pages.last().unwrap();
    assert!(last["results"].as_array().unwrap().len() <= 3);
    assert!(last.get("cursor").is_none());
    assert_eq!(api.emulator.stats().result_pages, pages.len() as u64);

    let (status, body, _) = api.get(&format!("{JOBS}/{id}/results?cursor=bogus")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn default_page_size_applies_when_the_query_gives_none() {
    let api = Api::start(Emulator::builder().job_latency(Duration::ZERO).page_size(4)).await;
    let id = api.submit(&week_query()).await;
    api.wait(&id).await;
    let pages = api.result_pages(&id).await;
    assert_eq!(pages[0]["results"].as_array().unwrap().len(), 4);
    assert!(pages.len() > 1);
}

#[tokio::test]
async fn delete_cancels_the_job_and_its_results_are_gone() {
    let api = Api::start(Emulator::builder().job_latency(Duration::from_secs(60))).await;
    let id = api.submit(&week_query()).await;
    let (status, _, _) = api.delete(&format!("{JOBS}/{id}")).await;
    assert!(status == StatusCode::NO_CONTENT || status == StatusCode::ACCEPTED);
    assert_eq!(
        api.get(&format!("{JOBS}/{id}")).await.1["state"],
        "CANCELLED"
    );
    let (status, body, headers) = api.get(&format!("{JOBS}/{id}/results")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("CANCELLED"),
        "{body}"
    );
    assert_context_id_is_the_correlation_id(&body, &headers);
    assert_eq!(api.emulator.stats().deleted_jobs, vec![id]);
}

#[tokio::test]
async fn unknown_jobs_are_404_with_an_error_body() {
    let api = Api::quick().await;
    for (status, body, headers) in [
        api.get(&format!("{JOBS}/no-such-job")).await,
        api.get(&format!("{JOBS}/no-such-job/results")).await,
        api.delete(&format!("{JOBS}/no-such-job")).await,
        api.get(&format!("{FACADE_JOBS}/no-such-job")).await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body["code"], "not.found");
        assert_context_id_is_the_correlation_id(&body, &headers);
    }
}

#[tokio::test]
async fn results_have_the_real_shape_with_a_group_lacking_used_routing() {
    let api = Api::quick().await;
    let groups = api.run_job(&week_query()).await;
    assert!(!groups.is_empty());
    let mut unrouted = 0;
    for group in &groups {
        let routing = group["group"].get("usedRouting");
        match routing {
            Some(r) => assert!(ROUTING_METHODS.contains(&r.as_str().unwrap()), "{r}"),
            None => unrouted += 1,
        }
        assert!(group["group"]["queueId"].as_str().is_some());
        for bucket in group["data"].as_array().unwrap() {
            let interval = bucket["interval"].as_str().unwrap();
            assert!(interval.ends_with("T00:00:00.000Z"), "{interval}");
            if let Some(answered) = metric(bucket, "tAnswered") {
                assert!(answered["count"].as_u64().unwrap() > 0);
                assert!(answered["sum"].as_f64().unwrap() >= answered["max"].as_f64().unwrap());
            }
            if let Some(sl) = metric(bucket, "oServiceLevel") {
                let ratio = sl["numerator"].as_f64().unwrap() / sl["denominator"].as_f64().unwrap();
                assert!((sl["ratio"].as_f64().unwrap() - ratio).abs() < 1e-12);
            }
        }
        if routing.is_none() {
            // Abandoned before routing: nothing was answered or handled.
            for bucket in group["data"].as_array().unwrap() {
                assert!(metric(bucket, "tAnswered").is_none());
                assert!(metric(bucket, "tHandle").is_none());
            }
        }
    }
    assert!(unrouted > 0, "expected groups without usedRouting");
}

#[tokio::test]
async fn volumes_are_plausible_for_a_contact_centre() {
    let api = Api::quick().await;
    let groups = api.run_job(&week_query()).await;
    let offered = totals(&groups, "usedRouting", "nOffered", "count");
    let answered = totals(&groups, "usedRouting", "tAnswered", "count");
    let answer_ms = totals(&groups, "usedRouting", "tAnswered", "sum");
    let handle_ms = totals(&groups, "usedRouting", "tHandle", "sum");
    let handled = totals(&groups, "usedRouting", "tHandle", "count");
    for (routing, n) in &offered {
        if let Some(routing) = routing {
            assert!(*n > 200.0, "{routing}: {n} offered in a week");
            let asa = answer_ms[&Some(routing.clone())] / answered[&Some(routing.clone())] / 1000.0;
            assert!((3.0..120.0).contains(&asa), "{routing}: ASA {asa}");
            let aht = handle_ms[&Some(routing.clone())] / handled[&Some(routing.clone())] / 1000.0;
            assert!((120.0..900.0).contains(&aht), "{routing}: AHT {aht}");
        }
    }
}

#[tokio::test]
async fn same_seed_gives_the_same_data_and_another_seed_does_not() {
    let a = Api::start(Emulator::builder().seed(11).job_latency(Duration::ZERO)).await;
    let b = Api::start(Emulator::builder().seed(11).job_latency(Duration::ZERO)).await;
    let c = Api::start(Emulator::builder().seed(12).job_latency(Duration::ZERO)).await;
    let first = a.run_job(&week_query()).await;
    assert_eq!(first, b.run_job(&week_query()).await);
    assert_eq!(first, a.run_job(&week_query()).await);
    assert_ne!(first, c.run_job(&week_query()).await);
}

#[tokio::test]
async fn a_split_window_adds_up_to_the_whole_window() {
    let api = Api::quick().await;
    let query = |interval: &str| {
        json!({"interval": interval, "granularity": "P1D", "groupBy": ["usedRouting"],
               "metrics": ["nOffered", "tAnswered", "tAbandon", "tHandle", "oServiceLevel", "nTransferred"]})
    };
    let whole = api
        .run_job(&query("2024-03-01T00:00:00.000Z/2024-04-15T00:00:00.000Z"))
        .await;
    let mut first = api
        .run_job(&query("2024-03-01T00:00:00.000Z/2024-03-31T00:00:00.000Z"))
        .await;
    first.extend(
        api.run_job(&query("2024-03-31T00:00:00.000Z/2024-04-15T00:00:00.000Z"))
            .await,
    );
    for (name, field) in [
        ("nOffered", "count"),
        ("tAnswered", "count"),
        ("tAnswered", "sum"),
        ("tAbandon", "count"),
        ("tHandle", "count"),
        ("tHandle", "sum"),
        ("oServiceLevel", "numerator"),
        ("oServiceLevel", "denominator"),
        ("nTransferred", "count"),
    ] {
        assert_eq!(
            totals(&whole, "usedRouting", name, field),
            totals(&first, "usedRouting", name, field),
            "{name}.{field}"
        );
    }
    let expected = api.emulator.expected_counts(
        "usedRouting",
        at("2024-03-01T00:00:00Z"),
        at("2024-04-15T00:00:00Z"),
    );
    let offered = totals(&whole, "usedRouting", "nOffered", "count");
    let handled = totals(&whole, "usedRouting", "tHandle", "count");
    for (key, counts) in &expected {
        assert_eq!(
            counts.offered.map(|n| n as f64),
            offered.get(key).copied(),
            "{key:?}"
        );
        assert_eq!(
            counts.handled.map(|n| n as f64),
            handled.get(key).copied(),
            "{key:?}"
        );
    }
}

#[tokio::test]
async fn whole_interval_granularity_is_one_bucket_and_sums_the_days() {
    let api = Api::quick().await;
    let mut daily = week_query();
    daily["groupBy"] = json!(["usedRouting"]);
    let mut whole = daily.clone();
    whole.as_object_mut().unwrap().remove("granularity");
    let (status, body, _) = api.post(QUERY, &whole).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let groups = body["results"].as_array().unwrap();
    for group in groups {
        assert_eq!(group["data"].as_array().unwrap().len(), 1);
        assert_eq!(
            group["data"][0]["interval"],
            "2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"
        );
    }
    let days = api.run_job(&daily).await;
    assert_eq!(
        totals(groups, "usedRouting", "tAnswered", "sum"),
        totals(&days, "usedRouting", "tAnswered", "sum")
    );
}

#[tokio::test]
async fn daily_buckets_follow_the_time_zone() {
    let api = Api::quick().await;
    let mut query = week_query();
    query["interval"] = json!("2024-05-01T00:00:00+02:00/2024-05-03T00:00:00+02:00");
    query["timeZone"] = json!("Europe/Paris");
    query["groupBy"] = json!(["usedRouting"]);
    let (status, body, _) = api.post(QUERY, &query).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let intervals: Vec<&str> = body["results"][0]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["interval"].as_str().unwrap())
        .collect();
    assert_eq!(
        intervals,
        [
            "2024-04-30T22:00:00.000Z/2024-05-01T22:00:00.000Z",
            "2024-05-01T22:00:00.000Z/2024-05-02T22:00:00.000Z"
        ]
    );
    query["granularity"] = json!("PT1H");
    let (_, body, _) = api.post(QUERY, &query).await;
    let hours: usize = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["data"].as_array().unwrap().len())
        .max()
        .unwrap();
    assert!(hours > 24 && hours <= 48, "{hours} hourly buckets");
}

#[tokio::test]
async fn group_by_and_filters_select_the_right_groups() {
    let api = Api::quick().await;
    let mut query = week_query();
    query["groupBy"] = json!(["usedRouting"]);
    query["filter"] = json!({"type": "or", "predicates": [
        {"type": "dimension", "dimension": "usedRouting", "operator": "matches", "value": "Bullseye"},
        {"dimension": "usedRouting", "value": "Standard"}]});
    let (_, body, _) = api.post(QUERY, &query).await;
    // Every answer is split by mediaType too (as Genesys does), so each routing method comes
    // once per media type it was used on.
    let pairs: Vec<(&str, &str)> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let text = |d: &str| g["group"][d].as_str().unwrap();
            (text("usedRouting"), text("mediaType"))
        })
        .collect();
    let distinct: BTreeSet<(&str, &str)> = pairs.iter().copied().collect();
    assert_eq!(distinct.len(), pairs.len(), "{pairs:?}");
    let routings: BTreeSet<&str> = pairs.iter().map(|(r, _)| *r).collect();
    assert_eq!(routings, BTreeSet::from(["Bullseye", "Standard"]));

    query["filter"] = json!({"type": "and", "predicates": [{"dimension": "usedRouting", "operator": "notExists"}]});
    let (_, body, _) = api.post(QUERY, &query).await;
    let groups = body["results"].as_array().unwrap();
    let media: BTreeSet<String> = groups
        .iter()
        .map(|g| {
            assert!(g["group"].get("usedRouting").is_none(), "{g}");
            g["group"]["mediaType"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        media.len(),
        groups.len(),
        "one unrouted group per media type"
    );
    // The media types of the queues where calls are abandoned before routing.
    let served: BTreeSet<String> = api
        .emulator
        .scenario()
        .queues
        .iter()
        .filter(|q| q.abandon_before_routing > 0.0)
        .flat_map(|q| q.media_types.keys().cloned())
        .collect();
    assert_eq!(media, served);

    query["filter"] = json!({"type": "and", "clauses": [{"type": "and", "predicates": [{"dimension": "usedRouting", "operator": "exists"}]}]});
    query["groupBy"] = json!(["queueId", "mediaType"]);
    let (_, body, _) = api.post(QUERY, &query).await;
    let groups = body["results"].as_array().unwrap();
    let scenario = api.emulator.scenario();
    let pairs: usize = scenario.queues.iter().map(|q| q.media_types.len()).sum();
    assert_eq!(groups.len(), pairs, "one group per queue and media type");
    for g in groups {
        let queue = scenario
            .queue(g["group"]["queueId"].as_str().unwrap())
            .unwrap();
        let media = g["group"]["mediaType"].as_str().unwrap();
        assert!(
            queue.media_types.contains_key(media),
            "{media} on {}",
            queue.name
        );
    }
}

#[tokio::test]
async fn metrics_without_events_are_left_out() {
    let api = Api::quick().await;
    let mut query = week_query();
    query["metrics"] = json!(["nOffered", "tVoicemail"]);
    let (_, body, _) = api.post(QUERY, &query).await;
    for group in body["results"].as_array().unwrap() {
        for bucket in group["data"].as_array().unwrap() {
            assert!(metric(bucket, "tVoicemail").is_none());
            assert!(metric(bucket, "nOffered").is_some());
        }
    }
}

fn facade_query(days: i64, metrics: &[&str]) -> Value {
    let from = at("2024-05-01T00:00:00Z");
    json!({
        "strategyIds": ["Bullseye", "Standard", "NotARoutingMethod"],
        "metricTypes": metrics,
        "timeGroup": "byDay",
        "interval": "P1D",
        "from": from.to_rfc3339(),
        "to": (from + chrono::Duration::days(days)).to_rfc3339(),
        "groupBys": ["strategyId"],
        "async": true,
    })
}

#[tokio::test]
async fn strategies_facade_runs_a_job_to_completed_with_daily_entities() {
    let api = Api::start(
        Emulator::builder()
            .job_latency(Duration::from_millis(500))
            .page_size(5),
    )
    .await;
    let (status, body, _) = api
        .post(
            STRATEGIES,
            &facade_query(7, &["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"]),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        api.get(&format!("{FACADE_JOBS}/{id}")).await.1["status"],
        "running"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    let (_, status_body, _) = api.get(&format!("{FACADE_JOBS}/{id}")).await;
    assert_eq!(status_body["status"], "completed");
    assert_eq!(status_body["id"], id.as_str());
    let mut entities = Vec::new();
    let mut path = format!("{FACADE_JOBS}/{id}/results");
    loop {
        let (status, page, _) = api.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        entities.extend(page["entities"].as_array().unwrap().clone());
        match page["cursor"].as_str() {
            Some(c) => path = format!("{FACADE_JOBS}/{id}/results?cursor={c}"),
            None => break,
        }
    }
    assert_eq!(entities.len(), 14, "two known strategies over seven days");
    let expected = api.emulator.expected_counts(
        "usedRouting",
        at("2024-05-01T00:00:00Z"),
        at("2024-05-08T00:00:00Z"),
    );
    let handled: u64 = entities
        .iter()
        .filter(|e| e["entityId"] == "Bullseye")
        .map(|e| {
            e["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["metricId"] == "handledCalls")
                .unwrap()["value"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(
        Some(handled),
        expected[&Some("Bullseye".to_owned())].handled
    );
    for e in &entities {
        let asa = e["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metricId"] == "avgSpeedOfAnswer")
            .unwrap()["value"]
            .as_f64()
            .unwrap();
        assert!((1.0..120.0).contains(&asa), "ASA {asa} s");
    }
}

#[tokio::test]
async fn strategies_facade_refuses_its_limits_with_400() {
    let api = Api::quick().await;
    let eleven = ["handledCalls"; 11];
    for (body, field) in [
        (facade_query(31, &["handledCalls"]), "to"),
        (facade_query(7, &eleven), "metricTypes"),
        (facade_query(7, &["bogus"]), "metricTypes"),
        (
            json!({"strategyIds": [], "metricTypes": ["handledCalls"], "from": "2024-05-01T00:00:00Z", "to": "2024-05-02T00:00:00Z"}),
            "strategyIds",
        ),
    ] {
        let (status, answer, headers) = api.post(STRATEGIES, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["details"][0]["fieldName"], field, "{answer}");
        assert_context_id_is_the_correlation_id(&answer, &headers);
    }
}

// ---- scripted faults ----

#[tokio::test]
async fn rate_limited_fault_sends_retry_after_seconds_then_recovers() {
    let api = Api::quick().await;
    api.emulator.inject(
        Endpoint::SubmitJob,
        Fault::RateLimited {
            retry_after_secs: 7,
        },
        2,
    );
    for _ in 0..2 {
        let (status, body, headers) = api.post(JOBS, &week_query()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers["retry-after"], "7");
        assert_eq!(body["code"], "too.many.requests");
        assert_eq!(headers["inin-ratelimit-reset"], "7");
        assert_eq!(
            headers["inin-ratelimit-count"],
            headers["inin-ratelimit-allowed"]
        );
        assert_eq!(body["limit"]["value"], 300);
        assert_context_id_is_the_correlation_id(&body, &headers);
    }
    assert_eq!(api.post(JOBS, &week_query()).await.0, StatusCode::ACCEPTED);
    let stats = api.emulator.stats();
    assert_eq!(
        (stats.submissions, stats.rate_limited, stats.faults_served),
        (3, 2, 2)
    );
}

#[tokio::test]
async fn rate_limited_until_sends_an_http_date() {
    let api = Api::quick().await;
    api.emulator.inject(
        Endpoint::Query,
        Fault::RateLimitedUntil {
            retry_after_secs: 30,
        },
        1,
    );
    let (status, _, headers) = api.post(QUERY, &week_query()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let date = headers["retry-after"].to_str().unwrap();
    let when = DateTime::parse_from_rfc2822(&date.replace("GMT", "+0000")).expect("an HTTP date");
    let ahead = when.with_timezone(&Utc) - Utc::now();
    assert!((25..=31).contains(&ahead.num_seconds()), "{date}");
}

#[tokio::test]
async fn status_fault_bursts_then_recovers() {
    let api = Api::quick().await;
    let id = api.submit(&week_query()).await;
    api.emulator
        .inject(Endpoint::JobStatus, Fault::Status(503), 2);
    api.emulator
        .inject(Endpoint::JobStatus, Fault::Status(504), 1);
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (status, body, _) = api.get(&format!("{JOBS}/{id}")).await;
        seen.push(status.as_u16());
        if status != StatusCode::OK {
            assert!(body["code"].as_str().is_some());
        }
    }
    assert_eq!(seen, [503, 503, 504, 200]);
}

#[tokio::test]
async fn faults_scripted_on_the_builder_are_served_first() {
    let api = Api::start(Emulator::builder().job_latency(Duration::ZERO).fault(
        Endpoint::Query,
        Fault::Status(500),
        1,
    ))
    .await;
    let (status, body, _) = api.post(QUERY, &week_query()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["status"], 500);
    assert_eq!(api.post(QUERY, &week_query()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn any_endpoint_fault_hits_whatever_comes_next() {
    let api = Api::quick().await;
    api.emulator.inject(Endpoint::Any, Fault::Status(502), 1);
    assert_eq!(
        api.get(&format!("{JOBS}/whatever")).await.0,
        StatusCode::BAD_GATEWAY
    );
    assert_eq!(
        api.get(&format!("{JOBS}/whatever")).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn revoked_token_gets_401_until_a_new_token_is_fetched() {
    let mut api = Api::quick().await;
    api.emulator.inject(Endpoint::Query, Fault::RevokeToken, 1);
    let (status, body, _) = api.post(QUERY, &week_query()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad.credentials");
    assert_eq!(
        api.post(JOBS, &week_query()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, token) = api.another_token().await;
    api.token = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(api.post(QUERY, &week_query()).await.0, StatusCode::OK);
}

#[tokio::test]
async fn truncated_fault_cuts_a_successful_body_in_half() {
    let api = Api::quick().await;
    let id = api.submit(&week_query()).await;
    api.emulator
        .inject(Endpoint::JobResults, Fault::Truncated, 1);
    let whole = api
        .http
        .get(api.url(&format!("{JOBS}/{id}/results")))
        .bearer_auth(&api.token);
    let cut = whole.try_clone().unwrap().send().await.unwrap();
    assert_eq!(cut.status(), StatusCode::OK);
    let cut = cut.bytes().await.unwrap();
    let full = whole.send().await.unwrap().bytes().await.unwrap();
    assert_eq!(cut.len(), full.len() / 2);
    assert_eq!(&full[..cut.len()], &cut[..]);
    assert!(serde_json::from_slice::<Value>(&cut).is_err());
}

#[tokio::test]
async fn malformed_fault_sends_json_of_the_wrong_shape() {
    let api = Api::quick().await;
    let id = api.submit(&week_query()).await;
    api.emulator
        .inject(Endpoint::JobResults, Fault::Malformed, 1);
    let (status, body, _) = api.get(&format!("{JOBS}/{id}/results")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["results"].is_number(), "{body}");
    api.emulator.inject(Endpoint::Token, Fault::Malformed, 1);
    let (status, token) = api.another_token().await;
    assert_eq!(status, StatusCode::OK);
    assert!(token["access_token"].is_number(), "{token}");
}

#[tokio::test]
async fn body_faults_wait_for_a_successful_answer() {
    let api = Api::start(Emulator::builder().job_latency(Duration::from_secs(1))).await;
    let id = api.submit(&week_query()).await;
    api.emulator
        .inject(Endpoint::JobResults, Fault::Malformed, 1);
    assert_eq!(
        api.get(&format!("{JOBS}/{id}/results")).await.0,
        StatusCode::BAD_REQUEST
    );
    api.wait(&id).await;
    assert!(api.get(&format!("{JOBS}/{id}/results")).await.1["results"].is_number());
}

#[tokio::test]
async fn slow_fault_delays_a_correct_answer() {
    let api = Api::quick().await;
    api.emulator
        .inject(Endpoint::Query, Fault::Slow(Duration::from_millis(300)), 1);
    let started = Instant::now();
    let (status, body, _) = api.post(QUERY, &week_query()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(status, StatusCode::OK);
    assert!(!body["results"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn job_failed_fault_ends_the_next_job_failed_with_its_message() {
    let api = Api::quick().await;
    api.emulator.inject(
        Endpoint::SubmitJob,
        Fault::JobFailed {
            message: "disk on fire".into(),
        },
        1,
    );
    let id = api.submit(&week_query()).await;
    let status = api.wait(&id).await;
    assert_eq!(status["state"], "FAILED");
    assert_eq!(status["errorMessage"], "disk on fire");
    let next = api.submit(&week_query()).await;
    assert_eq!(api.wait(&next).await["state"], "FULFILLED");
}

#[tokio::test]
async fn job_expired_fault_ends_the_next_job_expired() {
    let api = Api::quick().await;
    api.emulator.inject(Endpoint::Any, Fault::JobExpired, 1);
    // Only a submission takes it: the token request and the query pass untouched.
    assert_eq!(api.post(QUERY, &week_query()).await.0, StatusCode::OK);
    let id = api.submit(&week_query()).await;
    assert_eq!(api.wait(&id).await["state"], "EXPIRED");
    assert_eq!(
        api.get(&format!("{JOBS}/{id}/results")).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn facade_job_failed_fault_reads_failed_with_its_reason() {
    let api = Api::quick().await;
    api.emulator.inject(
        Endpoint::StrategiesSubmit,
        Fault::JobFailed {
            message: "upstream gone".into(),
        },
        1,
    );
    let (_, body, _) = api
        .post(STRATEGIES, &facade_query(3, &["handledCalls"]))
        .await;
    let id = body["id"].as_str().unwrap();
    let (_, status, _) = api.get(&format!("{FACADE_JOBS}/{id}")).await;
    assert_eq!(status["status"], "failed");
    assert_eq!(status["failureReason"], "upstream gone");
}

#[tokio::test]
async fn rate_limit_answers_429_beyond_the_budget_per_token() {
    let api = Api::start(
        Emulator::builder()
            .job_latency(Duration::ZERO)
            .rate_limit(3),
    )
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, _, headers) = api.get(&format!("{JOBS}/missing")).await;
        statuses.push(status.as_u16());
        assert_eq!(headers["inin-ratelimit-allowed"], "3");
        if status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait));
        }
    }
    assert_eq!(statuses, [404, 404, 404, 429]);
    assert_eq!(api.emulator.stats().rate_limited, 1);
    // Another token has its own budget.
    let (_, token) = api.another_token().await;
    let (status, _, _) = answer(
        api.http
            .get(api.url(&format!("{JOBS}/missing")))
            .bearer_auth(token["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn dropping_the_emulator_stops_it() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator.base_url().join("oauth/token").unwrap();
    drop(emulator);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let result = reqwest::Client::new().post(url).send().await;
    assert!(result.is_err(), "still answering after drop");
}

#[tokio::test]
async fn a_refused_submission_leaves_a_job_fault_waiting() {
    let api = Api::quick().await;
    api.emulator.inject(
        Endpoint::SubmitJob,
        Fault::JobFailed {
            message: "later".into(),
        },
        1,
    );
    let (status, _, _) = api.post(JOBS, &json!({"metrics": ["nOffered"]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(api.emulator.stats().faults_served, 0);
    let id = api.submit(&week_query()).await;
    assert_eq!(api.wait(&id).await["errorMessage"], "later");
    assert_eq!(api.emulator.stats().faults_served, 1);
}

#[tokio::test]
async fn token_accepts_credentials_in_the_form_body_too() {
    let emulator = Emulator::start().await.unwrap();
    let in_the_body = [
        ("grant_type", "client_credentials"),
        ("client_id", DEFAULT_CLIENT_ID),
        ("client_secret", DEFAULT_CLIENT_SECRET),
    ];
    let (status, _, _) = answer(token_request(&emulator, &in_the_body)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = answer(token_request(
        &emulator,
        &[("grant_type", "client_credentials")],
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn wrong_methods_and_paths_get_genesys_error_bodies() {
    let api = Api::quick().await;
    let (status, body, headers) = api.send(api.http.put(api.url(JOBS))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_context_id_is_the_correlation_id(&body, &headers);
    let (status, body, _) = api.get("api/v2/nothing/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not.found");
}

#[tokio::test]
async fn debug_output_never_shows_the_secret() {
    let builder = Emulator::builder().credentials("visible-id", "hidden-secret");
    assert!(!format!("{builder:?}").contains("hidden-secret"));
    let emulator = builder.start().await.unwrap();
    let text = format!("{emulator:?}");
    assert!(
        text.contains("visible-id") && !text.contains("hidden-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn dimension_values_name_the_queues_and_routing_methods_in_the_data() {
    let api = Api::quick().await;
    let queues = api.emulator.dimension_values("queueId");
    let mut scenario_queues: Vec<String> = api
        .emulator
        .scenario()
        .queues
        .iter()
        .map(|q| q.id.clone())
        .collect();
    scenario_queues.sort();
    assert_eq!(queues, scenario_queues);
    let methods = api.emulator.dimension_values("usedRouting");
    assert!(
        methods
            .iter()
            .all(|m| ROUTING_METHODS.contains(&m.as_str()))
    );
    assert!(methods.len() >= 5);
    let mut query = week_query();
    query["groupBy"] = json!(["queueId"]);
    query["filter"] =
        json!({"type": "and", "predicates": [{"dimension": "queueId", "value": queues[1]}]});
    let (_, body, _) = api.post(QUERY, &query).await;
    let groups = body["results"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["group"]["queueId"], queues[1].as_str());
    let mut codes: Vec<String> = api
        .emulator
        .scenario()
        .wrap_up_codes
        .iter()
        .map(|w| w.id.clone())
        .collect();
    codes.sort();
    assert_eq!(api.emulator.dimension_values("wrapUpCode"), codes);
    assert!(api.emulator.dimension_values("routingRuleType").is_empty());
}

#[test]
fn emulator_handles_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Emulator>();
    assert_send_sync::<routing_eval_emulator::EmulatorBuilder>();
    assert_send_sync::<routing_eval_emulator::EmulatorStats>();
}
