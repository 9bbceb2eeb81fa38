//! A Genesys-like server on 127.0.0.1, for the tests, examples and demos of
//! `genesys-routing-eval`, the `routing-eval` CLI's embedded default, and the official SDKs.
//!
//! It serves `/oauth/token` (client credentials), the conversation aggregates jobs API
//! (submit, status, results pages, DELETE) and the synchronous aggregates query, and the
//! tutorial's strategies facade. Data is synthetic and deterministic from a seed, for any
//! window, past or recent; it checks requests as the real API does and answers with the real
//! error body, its `contextId` equal to the `ININ-Correlation-ID` header. Faults can be
//! scripted before start or at run time. See the repository's `docs/emulator.md` for the whole contract.
//!
//! # Example
//! ```
//! use routing_eval_emulator::{Emulator, Endpoint, Fault};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> genesys_routing_eval::Result<()> {
//! let emulator = Emulator::builder()
//!     .seed(7)
//!     .job_latency(std::time::Duration::ZERO)
//!     .fault(Endpoint::SubmitJob, Fault::RateLimited { retry_after_secs: 2 }, 1)
//!     .start()
//!     .await?;
//! println!("serving on {}", emulator.base_url());
//! assert_eq!(emulator.stats().requests, 0);
//! # Ok(())
//! # }
//! ```

#![deny(missing_docs)]

mod aggregates;
mod auth;
mod data;
mod dimensions;
pub mod directory;
mod errors;
mod faults;
mod period;
mod query;
pub mod scenario;
mod server;
mod shape;
mod stat;
mod state;
mod strategies;
mod views;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use genesys_routing_eval::metrics::RawCounts;
use genesys_routing_eval::{Error, ErrorKind};

pub use data::ROUTING_METHODS;
pub use scenario::{PlantedEffect, Scenario, ScenarioError};

/// The OAuth client id the emulator accepts when none is configured.
pub const DEFAULT_CLIENT_ID: &str = "routing-eval-emulator";

/// The OAuth client secret the emulator accepts when none is configured.
pub const DEFAULT_CLIENT_SECRET: &str = "emulator-secret-not-for-production";

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// An endpoint of the emulator, for scripting faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /oauth/token`.
    Token,
    /// `POST /api/v2/analytics/conversations/aggregates/jobs`.
    SubmitJob,
    /// `GET /api/v2/analytics/conversations/aggregates/jobs/{jobId}`.
    JobStatus,
    /// `GET /api/v2/analytics/conversations/aggregates/jobs/{jobId}/results`.
    JobResults,
    /// `DELETE /api/v2/analytics/conversations/aggregates/jobs/{jobId}`.
    DeleteJob,
    /// `POST /api/v2/analytics/conversations/aggregates/query`.
    Query,
    /// `POST /api/v2/analytics/routing/strategies/query` (the facade).
    StrategiesSubmit,
    /// `GET /api/v2/analytics/jobs/{id}` (the facade).
    StrategiesStatus,
    /// `GET /api/v2/analytics/jobs/{id}/results` (the facade).
    StrategiesResults,
    /// Whichever endpoint is called next.
    Any,
}

/// A scripted misbehaviour, served instead of (or around) the real answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 with the Genesys error body, `Retry-After: N` (seconds) and `inin-ratelimit-*`
    /// headers showing the budget spent.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Like [`Fault::RateLimited`], with `Retry-After` as an HTTP date `N` seconds ahead.
    RateLimitedUntil {
        /// Seconds from now to the date sent.
        retry_after_secs: u64,
    },
    /// This status with a Genesys error body (500, 502, 503, 504, 408, 400, ...).
    Status(u16),
    /// Revokes the bearer token of this request: this and every later request with it get
    /// 401 until a new token is fetched. Not applied to the token endpoint.
    RevokeToken,
    /// The real answer with its JSON body cut in half. Waits for a successful answer.
    Truncated,
    /// The real status with valid JSON of the wrong shape (a number where a list or string
    /// belongs). Waits for a successful answer.
    Malformed,
    /// The real answer, after this delay.
    Slow(Duration),
    /// The next job accepted ends `FAILED` (strategies facade: `failed`) with this
    /// `errorMessage`. Taken only by a submission that is accepted.
    JobFailed {
        /// The job's `errorMessage` / `failureReason`.
        message: String,
    },
    /// The next job accepted ends `EXPIRED` (strategies facade: `failed`). Taken only by a
    /// submission that is accepted.
    JobExpired,
}

/// What the emulator has served so far: a snapshot from [`Emulator::stats`].
///
/// Endpoint counters count requests received at that endpoint, whatever the answer (a
/// request answered with a fault still counts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmulatorStats {
    /// Requests to `/oauth/token`.
    pub token_requests: u64,
    /// Every request received, token requests and unknown paths included.
    pub requests: u64,
    /// Job submissions received (aggregates jobs and the strategies facade).
    pub submissions: u64,
    /// Job status requests received (both sources).
    pub status_polls: u64,
    /// Results page requests received (both sources).
    pub result_pages: u64,
    /// Ids of the aggregates jobs deleted with `DELETE`, in order.
    pub deleted_jobs: Vec<String>,
    /// Scripted faults served.
    pub faults_served: u64,
    /// 429 answers, from scripted faults or the configured rate limit.
    pub rate_limited: u64,
    /// The most result groups (each with its buckets) held at once to answer one request:
    /// at most the page size plus one for a job's results page, every group for the
    /// synchronous query and for each page of a `topN` / `bottomN` job (ranking needs every
    /// group's totals).
    pub peak_groups_held: u64,
    /// Pages served by the directory listings (queues, skills, users).
    pub directory_pages: u64,
}

/// Settings of an emulator, collected by [`Emulator::builder`].
#[derive(Clone)]
pub struct EmulatorBuilder {
    settings: Settings,
    faults: Vec<(Endpoint, Fault, usize)>,
    port: u16,
}

/// Everything the server needs to know, fixed at start.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) seed: u64,
    pub(crate) job_latency: Duration,
    pub(crate) page_size: usize,
    pub(crate) token_lifetime: Duration,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) rate_limit: Option<u32>,
    pub(crate) rate_window: Duration,
    pub(crate) scenario: Arc<Scenario>,
    pub(crate) model: Arc<scenario::generate::Model>,
    /// A hash of the scenario, so that emulators serving the same one share generated pages.
    pub(crate) fingerprint: u64,
    /// Permissions the token lacks: the listings needing them answer 403.
    pub(crate) denied_permissions: Vec<String>,
    /// The largest page the directory listings serve, whatever `pageSize` asks.
    pub(crate) directory_page_size: usize,
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("seed", &self.settings.seed)
            .field("job_latency", &self.settings.job_latency)
            .field("page_size", &self.settings.page_size)
            .field("token_lifetime", &self.settings.token_lifetime)
            .field("client_id", &self.settings.client_id)
            .field("rate_limit", &self.settings.rate_limit)
            .field("rate_window", &self.settings.rate_window)
            .field("scenario", &self.settings.scenario.name)
            .field("faults", &self.faults)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        EmulatorBuilder {
            settings: Settings {
                seed: DEFAULT_SEED,
                job_latency: Duration::from_millis(300),
                page_size: 10,
                token_lifetime: Duration::from_secs(86_400),
                client_id: DEFAULT_CLIENT_ID.to_owned(),
                client_secret: DEFAULT_CLIENT_SECRET.to_owned(),
                rate_limit: None,
                rate_window: Duration::from_secs(60),
                scenario: Arc::new(Scenario::default_centre()),
                model: Arc::new(scenario::generate::Model::new(&Scenario::default_centre())),
                fingerprint: 0,
                denied_permissions: Vec::new(),
                directory_page_size: 500,
            },
            faults: Vec::new(),
            port: 0,
        }
    }
}

impl EmulatorBuilder {
    /// The seed of the synthetic data (default [`DEFAULT_SEED`]). The same seed gives the
    /// same data for the same query.
    pub fn seed(mut self, seed: u64) -> Self {
        self.settings.seed = seed;
        self
    }

    /// The largest page the directory listings serve (default 500, at least 1), so that
    /// paging through them can be exercised.
    pub fn directory_page_size(mut self, size: usize) -> Self {
        self.settings.directory_page_size = size.max(1);
        self
    }

    /// Answers 403 `missing.permissions` on every listing that needs `permission`, such as
    /// [`directory::QUEUES_PERMISSION`], as for a client whose role lacks it.
    pub fn deny_permission(mut self, permission: impl Into<String>) -> Self {
        self.settings.denied_permissions.push(permission.into());
        self
    }

    /// Time from a job's submission to its end state (default 300 ms; zero means done at
    /// once). Before half of it a job reads `QUEUED`, then `PENDING`.
    pub fn job_latency(mut self, latency: Duration) -> Self {
        self.settings.job_latency = latency;
        self
    }

    /// Results per page when the query gives no `pageSize` (default 10; at least 1).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.settings.page_size = page_size.max(1);
        self
    }

    /// Lifetime of the tokens issued (default 24 hours, as Genesys's default); `expires_in`
    /// says it in whole seconds.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.settings.token_lifetime = lifetime;
        self
    }

    /// The only OAuth client id and secret accepted (default [`DEFAULT_CLIENT_ID`] and
    /// [`DEFAULT_CLIENT_SECRET`]).
    pub fn credentials(mut self, client_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.settings.client_id = client_id.into();
        self.settings.client_secret = secret.into();
        self
    }

    /// Scripts `fault` for the next `times` requests at `endpoint`. Faults are served in the
    /// order they were scripted; see [`Emulator::inject`] to add them at run time.
    pub fn fault(mut self, endpoint: Endpoint, fault: Fault, times: usize) -> Self {
        self.faults.push((endpoint, fault, times));
        self
    }

    /// The port to listen on (default 0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Answers 429 with `Retry-After` beyond `per_minute` requests per token in a one-minute
    /// window (default: no limit; the headers then show Genesys's usual 300).
    pub fn rate_limit(mut self, per_minute: u32) -> Self {
        self.settings.rate_limit = Some(per_minute);
        self
    }

    /// Sets the rate limit's window: `rate_limit(n)` then allows `n` requests per token in
    /// each such window, and a 429's `Retry-After` is the whole seconds left in it (at least
    /// 1). Default: one minute, as Genesys. Load tests shorten it so that waiting out a 429
    /// takes a second, not a minute.
    pub fn rate_window(mut self, window: Duration) -> Self {
        self.settings.rate_window = window.max(Duration::from_millis(1));
        self
    }

    /// The contact centre served (default [`Scenario::default_centre`]).
    ///
    /// # Example
    /// ```
    /// use routing_eval_emulator::{Emulator, Scenario};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> genesys_routing_eval::Result<()> {
    /// let emulator = Emulator::builder()
    ///     .scenario(Scenario::default_centre())
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.scenario().queues.len(), 24);
    /// # Ok(())
    /// # }
    /// ```
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.settings.scenario = Arc::new(scenario);
        self
    }

    /// Starts serving on 127.0.0.1 in the current tokio runtime.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the scenario breaks a rule (its fields are public, so it
    /// is checked again here); [`ErrorKind::Io`] when the port cannot be bound.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub async fn start(mut self) -> genesys_routing_eval::Result<Emulator> {
        self.settings
            .scenario
            .validate()
            .map_err(|e| Error::new(ErrorKind::Config, e.to_string()))?;
        self.settings.model = Arc::new(scenario::generate::Model::new(&self.settings.scenario));
        self.settings.fingerprint = self.settings.scenario.fingerprint();
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!(
                        "cannot listen on 127.0.0.1:{}; choose another port or 0",
                        self.port
                    ),
                )
                .with_source(e)
            })?;
        let address = listener.local_addr().map_err(|e| {
            Error::new(ErrorKind::Io, "cannot read the emulator's local address").with_source(e)
        })?;
        let base_url = url::Url::parse(&format!("http://{address}/"))
            .map_err(|e| Error::new(ErrorKind::Io, "invalid emulator address").with_source(e))?;
        let state = Arc::new(state::State::new(self.settings.clone()));
        for (endpoint, fault, times) in self.faults {
            state.inject(endpoint, fault, times);
        }
        let (shutdown, shutdown_rx) = tokio::sync::watch::channel(false);
        let router = server::router(Arc::clone(&state));
        tokio::spawn(async move {
            let mut rx = shutdown_rx;
            let signal = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(signal)
                .await
            {
                tracing::warn!(error = %e, "emulator server stopped");
            }
        });
        Ok(Emulator {
            base_url,
            state,
            shutdown,
        })
    }
}

/// A running emulator on 127.0.0.1; it stops when dropped.
pub struct Emulator {
    base_url: url::Url,
    state: Arc<state::State>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url.as_str())
            .field("client_id", &self.client_id())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// A builder with every default.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// Starts an emulator with every default.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when no port can be bound.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub async fn start() -> genesys_routing_eval::Result<Emulator> {
        Emulator::builder().start().await
    }

    /// `http://127.0.0.1:PORT/`: both the API and the login host.
    pub fn base_url(&self) -> &url::Url {
        &self.base_url
    }

    /// A client builder for this emulator: its base URL, its credentials, and
    /// [`DataOrigin::Emulator`](genesys_routing_eval::DataOrigin::Emulator), so that every report and audit
    /// record made with it says the data is synthetic, and sinks that leave the process refuse
    /// it unless the evaluation allows emulator data.
    ///
    /// # Example
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> genesys_routing_eval::Result<()> {
    /// use genesys_routing_eval::DataOrigin;
    /// use routing_eval_emulator::Emulator;
    /// let emulator = Emulator::start().await?;
    /// let client = emulator.client_builder().build()?;
    /// assert_eq!(client.data_origin(), DataOrigin::Emulator);
    /// # Ok(())
    /// # }
    /// ```
    pub fn client_builder(&self) -> genesys_routing_eval::ClientBuilder {
        genesys_routing_eval::Client::builder()
            .api_base(self.base_url().as_str())
            .credentials(self.client_id(), self.client_secret().to_owned())
            .data_origin(genesys_routing_eval::DataOrigin::Emulator)
    }

    /// The OAuth client id accepted.
    pub fn client_id(&self) -> &str {
        &self.state.settings.client_id
    }

    /// The OAuth client secret accepted.
    pub fn client_secret(&self) -> &str {
        &self.state.settings.client_secret
    }

    /// The seed of the synthetic data.
    pub fn seed(&self) -> u64 {
        self.state.settings.seed
    }

    /// Scripts `fault` for the next `times` requests at `endpoint`, after any faults already
    /// waiting.
    pub fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        self.state.inject(endpoint, fault, times);
    }

    /// What has been served so far.
    pub fn stats(&self) -> EmulatorStats {
        self.state.stats()
    }

    /// The values the data has for `dimension` (such as the queue ids for `queueId`), sorted;
    /// empty for a dimension the emulator does not model.
    pub fn dimension_values(&self, dimension: &str) -> Vec<String> {
        data::dimension_values(&self.state.settings.model, dimension)
    }

    /// The names the directory listings serve, by id: queues, skills and agents together.
    pub fn entity_names(&self) -> std::collections::BTreeMap<String, String> {
        let scenario = &self.state.settings.scenario;
        [
            directory::Kind::Queues,
            directory::Kind::Skills,
            directory::Kind::Users,
        ]
        .into_iter()
        .flat_map(|kind| directory::entries(scenario, kind))
        .collect()
    }

    /// The scenario served; [`Scenario::true_effects`] says what a comparison should find.
    pub fn scenario(&self) -> &Scenario {
        &self.state.settings.scenario
    }

    /// The raw counts an aggregates query over `[start, end)` returns, summed over every
    /// bucket and grouped by `dimension` (such as `usedRouting` or `queueId`); the `None` key
    /// holds the groups that lack it.
    ///
    /// A field is `Some` where its metric would appear in the results (it had events).
    /// `start` and `end` are rounded up to 15 minutes, the emulator's finest grain.
    pub fn expected_counts(
        &self,
        dimension: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> BTreeMap<Option<String>, RawCounts> {
        data::expected_counts(
            &self.state.settings.model,
            self.state.settings.seed,
            dimension,
            start,
            end,
        )
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// The `GENESYS_*` variables the crate reads ([`config::ENV_VARS`](genesys_routing_eval::config::ENV_VARS)).
/// Any variable with the prefix, known or not, rules out the implicit emulator.
pub const GENESYS_SETTINGS: [&str; 5] = genesys_routing_eval::config::ENV_VARS;

/// A client for the organisation the environment names, or, when the environment holds no
/// `GENESYS_*` and no `BI_WEBHOOK_*` variable at all ([`environment_is_unconfigured`]), for a
/// freshly started embedded emulator (returned too: keep it alive while the client is in
/// use). The emulator's client says [`DataOrigin::Emulator`](genesys_routing_eval::DataOrigin::Emulator).
/// This is how the examples run with no credentials.
///
/// Any `GENESYS_*` variable (a typo such as `GENESYS_CLIENTID` included) or a webhook setting
/// means a real organisation was meant, so incomplete settings are a configuration error,
/// never a quiet fallback to synthetic data.
///
/// # Errors
/// [`ErrorKind::Config`] listing every missing, invalid or unknown setting; an error when the
/// emulator cannot bind its port.
///
/// # Example
/// ```no_run
/// # async fn run() -> genesys_routing_eval::Result<()> {
/// let (client, emulator) = routing_eval_emulator::client_from_env_or_start().await?;
/// if let Some(emulator) = &emulator {
///     eprintln!("no GENESYS_* settings: using the emulator at {}", emulator.base_url());
/// }
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn client_from_env_or_start()
-> genesys_routing_eval::Result<(genesys_routing_eval::Client, Option<Emulator>)> {
    if !environment_is_unconfigured() {
        return Ok((
            genesys_routing_eval::ClientBuilder::from_env().build()?,
            None,
        ));
    }
    let emulator = Emulator::start().await?;
    let client = emulator.client_builder().build()?;
    Ok((client, Some(emulator)))
}

/// [`client_from_env_or_start`], saying on standard error when it started the embedded
/// emulator (`no GENESYS_* settings: using the embedded emulator at <url>`), so that whoever
/// runs the program knows its figures are synthetic. This is what the examples call.
///
/// # Errors
/// As [`client_from_env_or_start`].
///
/// # Example
/// ```no_run
/// # async fn run() -> genesys_routing_eval::Result<()> {
/// // Kept alive until the end: dropping it stops the embedded emulator.
/// let (client, _emulator) = routing_eval_emulator::client_from_env_or_start_announced().await?;
/// # let _ = client;
/// # Ok(())
/// # }
/// ```
pub async fn client_from_env_or_start_announced()
-> genesys_routing_eval::Result<(genesys_routing_eval::Client, Option<Emulator>)> {
    let (client, emulator) = client_from_env_or_start().await?;
    if let Some(emulator) = &emulator {
        eprintln!(
            "no GENESYS_* settings: using the embedded emulator at {}",
            emulator.base_url()
        );
    }
    Ok((client, emulator))
}

/// Prefixes of environment variables that say the caller means a real organisation: the
/// crate's own (`GENESYS_`) and the webhook's (`BI_WEBHOOK_`), whose data must be real.
pub const CONFIGURED_PREFIXES: [&str; 2] = ["GENESYS_", "BI_WEBHOOK_"];

/// Whether the process environment holds no variable starting with a
/// [`CONFIGURED_PREFIXES`] prefix: the only case where falling back to the emulator is safe.
pub fn environment_is_unconfigured() -> bool {
    configured_names(std::env::vars_os().filter_map(|(n, _)| n.into_string().ok())).is_empty()
}

/// The names among `names` that start with a [`CONFIGURED_PREFIXES`] prefix, sorted.
pub fn configured_names(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut found: Vec<String> = names
        .into_iter()
        .filter(|n| CONFIGURED_PREFIXES.iter().any(|p| n.starts_with(p)))
        .collect();
    found.sort();
    found
}
