//! `routing-eval emulate`: the emulator served as a process, with the default credentials.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

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

#[tokio::test]
async fn emulate_prints_its_url_and_the_default_pair_then_serves() {
    let mut child = emulate()
        .args(["--port", "0", "--job-latency-ms", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
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
    let response = reqwest::Client::new()
        .post(format!("{url}oauth/token"))
        .basic_auth(DEFAULT_CLIENT_ID, Some(DEFAULT_CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
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
