//! What the integration tests share: the emulator, a client for it, a manual clock, and a
//! recording webhook receiver.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{Timelike, Utc};
use genesys_routing_eval::sink::{WebhookSink, WebhookSinkBuilder};
use genesys_routing_eval::time::{FixedJitter, ManualClock, TimeSource};
use genesys_routing_eval::{Client, ClientBuilder};
use routing_eval_emulator::{Emulator, EmulatorBuilder};

/// An emulator whose jobs are `FULFILLED` at once, with whatever else `configure` sets.
pub(crate) async fn emulator(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> Emulator {
    configure(Emulator::builder().job_latency(Duration::ZERO))
        .start()
        .await
        .expect("emulator starts")
}

/// A clock reading the real time (whole seconds), so receivers checking timestamp tolerance
/// accept the signatures, and that records waits instead of sleeping.
pub(crate) fn clock() -> ManualClock {
    ManualClock::new(Utc::now().with_nanosecond(0).unwrap())
}

/// An emulator whose jobs take `latency` to finish.
pub(crate) async fn slow_emulator(latency: Duration) -> Emulator {
    Emulator::builder()
        .job_latency(latency)
        .start()
        .await
        .expect("emulator starts")
}

/// A client builder for `emu`'s API and credentials, waiting through `time`.
pub(crate) fn client_builder(emu: &Emulator, time: TimeSource) -> ClientBuilder {
    Client::builder()
        .api_base(emu.base_url().as_str())
        .credentials(emu.client_id(), emu.client_secret().to_owned())
        .time_source(time)
}

/// What each validation problem of `err` concerns, in order: an invalid setting's name,
/// `missing <name>`, `insecure <host>` for plain HTTP to a remote host, and the debug text of
/// any other kind.
pub(crate) fn problem_names(err: &genesys_routing_eval::Error) -> Vec<String> {
    use genesys_routing_eval::ValidationError;
    err.validation()
        .iter()
        .map(|p| match p {
            ValidationError::Missing { name, .. } => format!("missing {name}"),
            ValidationError::Invalid { name, .. } => name.clone(),
            ValidationError::InsecureHttp { host } => format!("insecure {host}"),
            other => format!("{other:?}"),
        })
        .collect()
}

/// The `*.json` vector files in `dir`, sorted; fails when there are none.
pub(crate) fn vector_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("vectors folder {} unreadable: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.json vectors in {}", dir.display());
    files
}

/// The repository keeps its own copies of what it takes from `../shared` (a clone has no
/// `../shared`): the vector sets and the tutorial's reference scoring. Where the originals sit
/// beside the repository, the copy at `copy` must equal `../shared/<shared>`: file for file
/// (the `*.json` files) for a folder, byte for byte for a file. The one place that reads
/// `../shared`.
pub(crate) fn assert_copy_equals_shared(copy: &Path, shared: &str) {
    let original = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(shared);
    if !original.exists() {
        println!(
            "skipped: no {} beside the repository, nothing to compare the copy with",
            original.display()
        );
        return;
    }
    let same_bytes = |copy: &Path, original: &Path| {
        assert!(
            std::fs::read(copy).unwrap() == std::fs::read(original).unwrap(),
            "{} differs from the shared original; copy it again from {}",
            copy.display(),
            original.display()
        );
    };
    if original.is_file() {
        same_bytes(copy, &original);
        return;
    }
    let names = |dir: &Path| -> Vec<std::ffi::OsString> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| Path::new(name).extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(copy), names(&original), "the same vector files");
    for name in names(copy) {
        same_bytes(&copy.join(&name), &original.join(&name));
    }
}

/// A client for `emu` on a manual clock with no jitter, ready to use.
pub(crate) fn emulator_client(emu: &Emulator) -> Client {
    client_builder(
        emu,
        clock().time_source(genesys_routing_eval::time::FixedJitter(1.0)),
    )
    .build()
    .expect("client builds")
}

/// An evaluation of the week of 2026-03-01 on `emu`, every observed strategy.
pub(crate) fn march_week(emu: &Emulator) -> genesys_routing_eval::evaluation::EvaluationBuilder {
    use chrono::TimeZone;
    genesys_routing_eval::evaluation::Evaluation::builder()
        .client(emulator_client(emu))
        .between(
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap(),
        )
}

/// `builder` built and run; panics on a validation or run error.
pub(crate) async fn run_evaluation(
    builder: genesys_routing_eval::evaluation::EvaluationBuilder,
) -> genesys_routing_eval::evaluation::Outcome {
    builder
        .build()
        .expect("the evaluation builds")
        .run()
        .await
        .expect("the evaluation runs")
}

// ---------------------------------------------------------------------------------------------
// A webhook receiver on 127.0.0.1: answers from a script of replies, then with its default
// status; records every request it sees.

/// One scripted answer of a [`Receiver`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reply {
    status: u16,
    header: Option<(&'static str, &'static str)>,
    body: &'static str,
    delay: Duration,
}

/// An answer with `status`, no header and an empty body, at once.
pub(crate) const fn reply(status: u16) -> Reply {
    Reply {
        status,
        header: None,
        body: "",
        delay: Duration::ZERO,
    }
}

impl Reply {
    /// Sends the header `name: value` too.
    pub(crate) const fn header(mut self, name: &'static str, value: &'static str) -> Self {
        self.header = Some((name, value));
        self
    }

    /// Answers with `body`.
    pub(crate) const fn body(mut self, body: &'static str) -> Self {
        self.body = body;
        self
    }

    /// Answers only after `delay`.
    pub(crate) const fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// A request the receiver saw.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Recorded {
    /// The header `name`, which the request must carry.
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("request lacks {name}"))
            .to_str()
            .unwrap()
    }
}

struct Script {
    replies: Mutex<VecDeque<Reply>>,
    otherwise: StatusCode,
    seen: Mutex<Vec<Recorded>>,
}

/// A recording webhook receiver; clones share what it saw.
#[derive(Clone)]
pub(crate) struct Receiver {
    base: String,
    script: Arc<Script>,
}

impl Receiver {
    /// A receiver answering with `replies` in turn, then 200.
    pub(crate) async fn start(replies: impl IntoIterator<Item = Reply>) -> Receiver {
        Receiver::serve(replies.into_iter().collect(), StatusCode::OK).await
    }

    /// A receiver answering every request with `status`.
    pub(crate) async fn answering(status: u16) -> Receiver {
        Receiver::serve(VecDeque::new(), StatusCode::from_u16(status).unwrap()).await
    }

    async fn serve(replies: VecDeque<Reply>, otherwise: StatusCode) -> Receiver {
        let script = Arc::new(Script {
            replies: Mutex::new(replies),
            otherwise,
            seen: Mutex::default(),
        });
        let app = axum::Router::new()
            .fallback(record_and_reply)
            .with_state(Arc::clone(&script));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver { base, script }
    }

    /// The webhook URL to post to.
    pub(crate) fn url(&self) -> String {
        format!("{}/hooks/routing", self.base)
    }

    /// Every request seen so far, in order.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.script.seen.lock().unwrap().clone()
    }
}

async fn record_and_reply(
    State(script): State<Arc<Script>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    script.seen.lock().unwrap().push(Recorded {
        method,
        path: uri.path().to_owned(),
        headers,
        body,
    });
    let next = script.replies.lock().unwrap().pop_front();
    let Some(next) = next else {
        return script.otherwise.into_response();
    };
    tokio::time::sleep(next.delay).await;
    let mut response = (StatusCode::from_u16(next.status).unwrap(), next.body).into_response();
    if let Some((name, value)) = next.header {
        response.headers_mut().insert(name, value.parse().unwrap());
    }
    response
}

// ---------------------------------------------------------------------------------------------
// The emulator spoken to over raw HTTP, for the tests of the emulator itself.

/// The emulator, an HTTP client and a token it issued.
pub(crate) struct Api {
    pub(crate) emulator: Emulator,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

impl Api {
    /// Starts `builder`'s emulator and fetches a token from it.
    pub(crate) async fn start(builder: EmulatorBuilder) -> Api {
        let emulator = builder.start().await.expect("emulator starts");
        let mut api = Api {
            emulator,
            http: reqwest::Client::new(),
            token: String::new(),
        };
        let (status, body) = api.another_token().await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
        api.token = body["access_token"].as_str().expect("a token").to_owned();
        api
    }

    /// A further token request with the emulator's own credentials: the status and the answer.
    pub(crate) async fn another_token(&self) -> (reqwest::StatusCode, serde_json::Value) {
        fetch_token(
            &self.http,
            &self.emulator,
            self.emulator.client_id(),
            self.emulator.client_secret(),
        )
        .await
    }

    /// The absolute URL of `path` on the emulator.
    pub(crate) fn url(&self, path: &str) -> String {
        self.emulator.base_url().join(path).unwrap().to_string()
    }

    /// Sends `request` with the token; see [`answer`].
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (reqwest::StatusCode, serde_json::Value, HeaderMap) {
        answer(request.bearer_auth(&self.token)).await
    }

    /// A GET of `path`.
    pub(crate) async fn get(
        &self,
        path: &str,
    ) -> (reqwest::StatusCode, serde_json::Value, HeaderMap) {
        self.send(self.http.get(self.url(path))).await
    }

    /// A POST of `body` as JSON to `path`.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> (reqwest::StatusCode, serde_json::Value, HeaderMap) {
        self.send(self.http.post(self.url(path)).json(body)).await
    }

    /// A DELETE of `path`.
    pub(crate) async fn delete(
        &self,
        path: &str,
    ) -> (reqwest::StatusCode, serde_json::Value, HeaderMap) {
        self.send(self.http.delete(self.url(path))).await
    }

    /// Every results page of the fulfilled aggregates job `id`, following the cursor; each
    /// must be a 200.
    pub(crate) async fn result_pages(&self, id: &str) -> Vec<serde_json::Value> {
        const JOBS: &str = "api/v2/analytics/conversations/aggregates/jobs";
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{JOBS}/{id}/results?cursor={c}"),
                None => format!("{JOBS}/{id}/results"),
            };
            let (status, body, _) = self.get(&path).await;
            assert_eq!(status, reqwest::StatusCode::OK, "{body}");
            cursor = body["cursor"].as_str().map(str::to_owned);
            pages.push(body);
            if cursor.is_none() {
                return pages;
            }
        }
    }
}

/// Sends `request` as it is: the status, the body (JSON, else its text, null when empty) and
/// the headers.
pub(crate) async fn answer(
    request: reqwest::RequestBuilder,
) -> (reqwest::StatusCode, serde_json::Value, HeaderMap) {
    let response = request.send().await.expect("request sent");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    (status, body, headers)
}

/// A token request to `emulator` with the form `form`.
pub(crate) fn token_request(emulator: &Emulator, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(emulator.base_url().join("oauth/token").unwrap())
        .form(form)
}

/// A client-credentials token request for `id` and `secret` (basic auth): the status and the
/// JSON answer.
pub(crate) async fn fetch_token(
    http: &reqwest::Client,
    emulator: &Emulator,
    id: &str,
    secret: &str,
) -> (reqwest::StatusCode, serde_json::Value) {
    let request = http
        .post(emulator.base_url().join("oauth/token").unwrap())
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")]);
    let (status, body, _) = answer(request).await;
    assert!(body.is_object(), "a JSON token answer: {body}");
    (status, body)
}

/// A loopback webhook URL nothing listens on.
pub(crate) async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hooks/routing")
}

/// A webhook sink whose retries wait on `clock` (half the backoff ceiling each), so they do
/// not sleep.
pub(crate) fn webhook(url: &str, clock: &ManualClock) -> WebhookSinkBuilder {
    WebhookSink::builder(url).time_source(clock.time_source(FixedJitter(0.5)))
}
