//! The token cache against one-off local responses: the grant's shape, reuse and renewal,
//! 401 handling and OAuth errors.

use std::time::Duration;

use base64::Engine as _;
use genesys_routing_eval::ErrorKind;
use genesys_routing_eval::time::ManualClock;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http::{
    CLIENT_ID, CLIENT_SECRET, STATUS_PATH, api_requests, client_for, clocked_client, fulfilled,
    mock_genesys, start_time, status_always, status_answers_then_fulfilled,
};

async fn token_requests(server: &MockServer) -> usize {
    api_requests(server, "/oauth/token").await
}

#[tokio::test]
async fn token_request_uses_basic_auth_and_a_form_body_and_the_token_is_sent_as_bearer() {
    let server = mock_genesys().await;
    Mock::given(path(STATUS_PATH))
        .and(header("authorization", "Bearer token-abc"))
        .respond_with(fulfilled())
        .mount(&server)
        .await;
    let (_clock, client) = clocked_client(&server);

    client.aggregates().status("job-1").await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let grant = requests
        .iter()
        .find(|r| r.url.path() == "/oauth/token")
        .unwrap();
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    assert_eq!(grant.method.as_str(), "POST");
    assert_eq!(
        grant.headers.get("authorization").unwrap(),
        &format!("Basic {expected}")
    );
    assert_eq!(
        grant.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(grant.body, b"grant_type=client_credentials");
}

#[tokio::test]
async fn token_is_reused_until_the_renewal_margin_before_expiry() {
    let server = mock_genesys().await;
    status_always(&server, fulfilled()).await;
    let clock = ManualClock::new(start_time());
    let client = client_for(&server, &clock)
        .token_renew_margin(Duration::from_secs(60))
        .build()
        .unwrap();
    let aggregates = client.aggregates();

    aggregates.status("job-1").await.unwrap();
    clock.advance(Duration::from_secs(3600 - 61));
    aggregates.status("job-1").await.unwrap();
    assert_eq!(token_requests(&server).await, 1);

    clock.advance(Duration::from_secs(2));
    aggregates.status("job-1").await.unwrap();
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_replays_the_request() {
    let server = mock_genesys().await;
    status_answers_then_fulfilled(&server, [ResponseTemplate::new(401)]).await;
    let (clock, client) = clocked_client(&server);

    client.aggregates().status("job-1").await.unwrap();

    assert_eq!(token_requests(&server).await, 2);
    assert!(
        clock.sleeps().is_empty(),
        "a replay after renewal does not wait"
    );
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error_naming_the_client_id_not_the_secret() {
    let server = mock_genesys().await;
    status_always(
        &server,
        ResponseTemplate::new(401).insert_header("ININ-Correlation-ID", "c-401"),
    )
    .await;
    let (_clock, client) = clocked_client(&server);

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.correlation_id(), Some("c-401"));
    let text = format!("{err} {err:?}");
    assert!(text.contains(CLIENT_ID), "{text}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
    assert!(!text.contains("token-abc"), "{text}");
    assert_eq!(token_requests(&server).await, 2);
}

#[tokio::test]
async fn oauth_invalid_client_is_an_auth_error_with_the_servers_description() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "description": "client not found",
            "error_description": "client not found"
        })))
        .mount(&server)
        .await;
    let (clock, client) = clocked_client(&server);

    let err = client.aggregates().status("job-1").await.unwrap_err();

    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(err.code(), Some("invalid_client"));
    assert!(err.message().contains("client not found"), "{err}");
    assert!(err.message().contains(CLIENT_ID), "{err}");
    assert!(!format!("{err:?}").contains(CLIENT_SECRET));
    assert!(
        clock.sleeps().is_empty(),
        "refused credentials are not retried"
    );
}

#[tokio::test]
async fn concurrent_callers_on_a_cold_cache_share_one_token_request() {
    let server = mock_genesys().await;
    status_always(&server, fulfilled()).await;
    let (_clock, client) = clocked_client(&server);

    let calls = (0..64).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.aggregates().status("job-1").await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.unwrap().unwrap();
    }

    assert_eq!(token_requests(&server).await, 1);
}
