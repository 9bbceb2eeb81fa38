//! Raw results pages as the emulator serves them, fetched with plain reqwest so that the bytes
//! are exactly what the crate's client receives over the wire.

use std::time::Duration;

use genesys_routing_eval::sources::aggregates::ROUTING_METRICS;
use routing_eval_emulator::{Emulator, EmulatorBuilder, Scenario};
use serde_json::{Value, json};

/// A results query over `days` days from 2024-05-01 (UTC), grouped by routing method and
/// queue, with `granularity` buckets and `page_size` groups per page.
pub fn query(days: u32, granularity: &str, page_size: u32) -> Value {
    query_with_metrics(days, granularity, page_size, ROUTING_METRICS)
}

/// [`query`] asking for `metrics` instead of the ones the crate derives KPIs from.
pub fn query_with_metrics(days: u32, granularity: &str, page_size: u32, metrics: &[&str]) -> Value {
    let from = chrono::NaiveDate::from_ymd_opt(2024, 5, 1).expect("valid date");
    let to = from + chrono::Days::new(u64::from(days));
    json!({
        "interval": format!("{from}T00:00:00.000Z/{to}T00:00:00.000Z"),
        "granularity": granularity,
        "timeZone": "UTC",
        "groupBy": ["usedRouting", "queueId"],
        "metrics": metrics,
        "pageSize": page_size,
    })
}

/// An emulator whose jobs are fulfilled at once.
#[allow(dead_code)] // not every bench that includes this module calls it
pub async fn instant_emulator() -> Emulator {
    start_instant(Emulator::builder()).await
}

/// An emulator serving `scenario` whose jobs are fulfilled at once.
#[allow(dead_code)] // not every bench that includes this module calls it
pub async fn instant_emulator_serving(scenario: Scenario) -> Emulator {
    start_instant(Emulator::builder().scenario(scenario)).await
}

#[allow(dead_code)] // unused where neither of the above is
async fn start_instant(builder: EmulatorBuilder) -> Emulator {
    builder
        .job_latency(Duration::ZERO)
        .start()
        .await
        .expect("emulator starts")
}

/// Every results page body of one job running `query` on `emulator`, in cursor order.
#[allow(dead_code)] // not every bench that includes this module calls it
pub async fn fetch_pages(emulator: &Emulator, query: &Value) -> Vec<Vec<u8>> {
    let base = emulator.base_url();
    fetch_pages_from(base, emulator.client_id(), emulator.client_secret(), query).await
}

/// Every results page body of one job running `query` on the server at `base`.
pub async fn fetch_pages_from(
    base: &url::Url,
    client_id: &str,
    client_secret: &str,
    query: &Value,
) -> Vec<Vec<u8>> {
    let http = reqwest::Client::new();
    let bearer = access_token(&http, base, client_id, client_secret).await;
    let jobs = base
        .join("api/v2/analytics/conversations/aggregates/jobs/")
        .expect("url");
    let job_id = submit_job(&http, base, &bearer, query).await;
    let results = jobs.join(&format!("{job_id}/results")).expect("url");
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = results.clone();
        if let Some(c) = &cursor {
            url.query_pairs_mut().append_pair("cursor", c);
        }
        let body = http
            .get(url)
            .bearer_auth(&bearer)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("results page")
            .bytes()
            .await
            .expect("results body")
            .to_vec();
        let page: Value = serde_json::from_slice(&body).expect("page is JSON");
        pages.push(body);
        cursor = page["cursor"].as_str().map(str::to_owned);
        if cursor.as_deref().is_none_or(str::is_empty) {
            return pages;
        }
    }
}

/// A bearer token from the server at `base` for the client `client_id`.
pub async fn access_token(
    http: &reqwest::Client,
    base: &url::Url,
    client_id: &str,
    client_secret: &str,
) -> String {
    let token: Value = http
        .post(base.join("oauth/token").expect("url"))
        .basic_auth(client_id, Some(client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("token request")
        .json()
        .await
        .expect("token body");
    token["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Submits an aggregates job running `query` on the server at `base`; its id.
pub async fn submit_job(
    http: &reqwest::Client,
    base: &url::Url,
    bearer: &str,
    query: &Value,
) -> String {
    let submitted: Value = http
        .post(
            base.join("api/v2/analytics/conversations/aggregates/jobs")
                .expect("url"),
        )
        .bearer_auth(bearer)
        .json(query)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .expect("job submission")
        .json()
        .await
        .expect("submission body");
    submitted["jobId"].as_str().expect("jobId").to_owned()
}
