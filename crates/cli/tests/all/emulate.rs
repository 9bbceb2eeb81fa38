//! `routing-eval emulate`: the emulator served as a process, with the default credentials.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Lines};
use std::process::{Child, ChildStdout, Command, Stdio};

use reqwest::StatusCode;
use routing_eval_emulator::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET};

fn emulate() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_routing-eval"));
    command
        .arg("emulate")
        .env_remove("GENESYS_CLIENT_ID")
        .env_remove("GENESYS_CLIENT_SECRET");
    command
}

/// Starts `routing-eval emulate --port 0 --job-latency-ms 0 <args>` and returns the process
/// with its stdout lines (the first is the base URL).
fn serve(args: &[&OsStr]) -> (Child, Lines<BufReader<ChildStdout>>) {
    let mut child = emulate()
        .args(["--port", "0", "--job-latency-ms", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    (child, lines)
}

/// A token from the emulator at `url` for the default client.
async fn default_token(http: &reqwest::Client, url: &str) -> reqwest::Response {
    http.post(format!("{url}oauth/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn emulate_prints_its_url_and_the_default_pair_then_serves() {
    let (mut child, mut lines) = serve(&[]);
    let url = lines.next().unwrap().unwrap();
    let id_line = lines.next().unwrap().unwrap();
    let secret_line = lines.next().unwrap().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    assert_eq!(id_line, format!("client id: {DEFAULT_CLIENT_ID}"));
    assert_eq!(
        secret_line,
        format!("client secret: {DEFAULT_CLIENT_SECRET}")
    );
    let response = default_token(&reqwest::Client::new(), &url).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(response.status(), StatusCode::OK);
}

#[test]
fn emulate_refuses_half_a_credential_pair() {
    let output = emulate()
        .args(["--port", "0", "--client-id", "only-an-id"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("client secret"), "{stderr}");
}

#[test]
fn emulate_refuses_a_bad_scenario_file_naming_the_file_and_the_field() {
    let dir = std::env::temp_dir().join(format!("emulate-scenario-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    let mut scenario =
        serde_json::to_value(routing_eval_emulator::Scenario::default_centre()).unwrap();
    scenario["queues"][2]["mediaTypes"] = serde_json::json!({"voice": 0.5});
    std::fs::write(&file, scenario.to_string()).unwrap();
    let output = emulate()
        .args(["--port", "0", "--scenario"])
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("queues[2].mediaTypes"),
        "{stderr}"
    );
}

#[tokio::test]
async fn emulate_serves_the_scenario_file_it_is_given() {
    let dir = std::env::temp_dir().join(format!("emulate-scenario-ok-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("one-queue.json");
    let mut scenario =
        serde_json::to_value(routing_eval_emulator::Scenario::default_centre()).unwrap();
    let first = scenario["queues"][0].clone();
    scenario["queues"] = serde_json::json!([first]);
    std::fs::write(&file, scenario.to_string()).unwrap();
    let (mut child, mut lines) = serve(&["--scenario".as_ref(), file.as_os_str()]);
    let url = lines.next().unwrap().unwrap();
    let http = reqwest::Client::new();
    let token: serde_json::Value = default_token(&http, &url).await.json().await.unwrap();
    let query = http
        .post(format!(
            "{url}api/v2/analytics/conversations/aggregates/query"
        ))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&serde_json::json!({
            "interval": "2024-05-06T00:00:00Z/2024-05-07T00:00:00Z",
            "groupBy": ["queueId"], "metrics": ["nOffered"]}));
    let body: serde_json::Value = query.send().await.unwrap().json().await.unwrap();
    let _ = child.kill();
    let _ = child.wait();
    std::fs::remove_dir_all(&dir).unwrap();
    let queues: Vec<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"]["queueId"].as_str().unwrap())
        .collect();
    assert_eq!(queues, [first["id"].as_str().unwrap()]);
}
