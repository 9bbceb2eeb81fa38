//! The [`Client`]: configuration, token cache and HTTP core in one cheap-to-clone handle.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use secrecy::SecretString;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::{Token, TokenCache};
use crate::config::{Config, ConfigBuilder, PollPolicy, Region, RetryPolicy, Timeouts};
use crate::error::Result;
use crate::http::{Authorize, CallKind, HttpCore, Meter, Request, Response};
pub use crate::http::{RequestCounter, RequestStats};
use crate::origin::DataOrigin;
use crate::progress::Progress;
use crate::time::TimeSource;
use reqwest::header::HeaderValue;
use secrecy::ExposeSecret;

/// A Genesys Cloud client: hosts, credentials, token cache, retry and poll policies.
///
/// Cloning is cheap and clones share the token cache and request counts. Sources hang off it:
/// [`Client::aggregates`] and [`Client::strategies`].
///
/// # Example
/// ```no_run
/// use genesys_routing_eval::Client;
/// use genesys_routing_eval::config::Region;
///
/// # fn main() -> genesys_routing_eval::Result<()> {
/// let client = Client::builder()
///     .region(Region::EuWest1)
///     .credentials("my-client-id", "my-client-secret")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    scoped: Option<RequestCounter>,
    /// Where this clone reports retries (an evaluation's progress), if anywhere.
    progress: Option<Progress>,
}

struct Inner {
    config: Config,
    http: HttpCore,
    tokens: TokenCache,
    stats: RequestCounter,
    origin: DataOrigin,
}

impl Client {
    /// A builder with nothing set; see [`ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The clock, sleeper and jitter in use.
    pub fn time_source(&self) -> &TimeSource {
        self.inner.http.time()
    }

    /// Where this client's data comes from: [`DataOrigin::Emulator`] for clients the emulator
    /// made, else [`DataOrigin::Genesys`].
    pub fn data_origin(&self) -> DataOrigin {
        self.inner.origin
    }

    /// HTTP calls and retries made by this client and all its clones so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.stats.snapshot()
    }

    /// A clone of this client that also counts its calls into `counter`, so that one
    /// evaluation's calls can be measured while the client is shared.
    pub fn counting(&self, counter: RequestCounter) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            scoped: Some(counter),
            progress: self.progress.clone(),
        }
    }

    /// A clone of this client that reports each retry to `progress`
    /// ([`ProgressEvent::Retrying`](crate::progress::ProgressEvent::Retrying)).
    pub(crate) fn reporting_to(&self, progress: Progress) -> Client {
        Client {
            inner: Arc::clone(&self.inner),
            scoped: self.scoped.clone(),
            progress: Some(progress),
        }
    }

    /// `path` (relative, without a leading `/`) on the API host.
    pub(crate) fn api_url(&self, path: &str) -> Url {
        self.inner
            .config
            .api_base()
            .join(path.trim_start_matches('/'))
            .expect("a base URL joins a relative path")
    }

    fn meter(&self) -> Meter {
        Meter::new(
            self.inner.stats.clone(),
            self.scoped.clone(),
            self.progress.clone(),
        )
    }

    /// Sends an authenticated request through the retrying HTTP core.
    pub(crate) async fn execute(&self, request: Request) -> Result<Response> {
        let meter = self.meter();
        let bearer = Bearer {
            tokens: &self.inner.tokens,
            http: &self.inner.http,
            meter: &meter,
        };
        self.inner
            .http
            .execute(&request, Some(&bearer), &meter)
            .await
    }

    /// GETs `url` and decodes the JSON answer as `what`.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: Url, what: &str) -> Result<T> {
        self.get(url).await?.decode(what)
    }

    /// GETs `url` and returns the answer undecoded, for callers that decode it piece by piece.
    pub(crate) async fn get(&self, url: Url) -> Result<Response> {
        self.execute(Request::new(Method::GET, url)).await
    }

    /// POSTs `body` as JSON and decodes the answer as `what`.
    pub(crate) async fn post_json<T: DeserializeOwned>(
        &self,
        url: Url,
        body: &impl Serialize,
        kind: CallKind,
        what: &str,
    ) -> Result<T> {
        self.execute(Request::new(Method::POST, url).json(body)?.kind(kind))
            .await?
            .decode(what)
    }

    /// DELETEs `url`.
    pub(crate) async fn delete(&self, url: Url) -> Result<()> {
        self.execute(Request::new(Method::DELETE, url)).await?;
        Ok(())
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .field("origin", &self.inner.origin)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Client`]; [`build`](ClientBuilder::build) validates every setting at once.
///
/// Hosts come from [`region`](Self::region) or [`api_base`](Self::api_base) (and optionally
/// [`login_base`](Self::login_base)); credentials from [`credentials`](Self::credentials); or
/// all of them from the environment with [`from_env`](Self::from_env).
#[derive(Clone, Default)]
pub struct ClientBuilder {
    config: ConfigBuilder,
    time: Option<TimeSource>,
    origin: DataOrigin,
}

impl ClientBuilder {
    /// A builder seeded from the environment: `GENESYS_API_HOST` or `GENESYS_REGION`,
    /// `GENESYS_LOGIN_HOST`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`.
    pub fn from_env() -> Self {
        ClientBuilder {
            config: ConfigBuilder::from_env(),
            ..ClientBuilder::default()
        }
    }

    /// A builder seeded from `vars` as if they were the environment (see
    /// [`ConfigBuilder::from_env_map`]).
    pub fn from_env_map(vars: &HashMap<String, String>) -> Self {
        ClientBuilder {
            config: ConfigBuilder::from_env_map(vars),
            ..ClientBuilder::default()
        }
    }

    /// Connects to a region's API and login hosts.
    pub fn region(mut self, region: Region) -> Self {
        self.config = self.config.region(region);
        self
    }

    /// Connects to this API base URL or bare host name (https); plain http only for loopback.
    pub fn api_base(mut self, url: impl AsRef<str>) -> Self {
        self.config = self.config.api_base(url);
        self
    }

    /// Logs in at this base URL. Default: derived from the API host as the official SDKs do.
    pub fn login_base(mut self, url: impl AsRef<str>) -> Self {
        self.config = self.config.login_base(url);
        self
    }

    /// Sets the OAuth client id and secret.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.config = self.config.credentials(client_id, client_secret);
        self
    }

    /// Sets the clock, sleeper and jitter. Default: the system's ([`TimeSource::default`]).
    pub fn time_source(mut self, time: TimeSource) -> Self {
        self.time = Some(time);
        self
    }

    /// Sets the retry policy. Default: [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config = self.config.retry_policy(policy);
        self
    }

    /// Says where the data comes from. Default: [`DataOrigin::Genesys`];
    /// `routing_eval_emulator::Emulator::client_builder` (the emulator crate) sets
    /// [`DataOrigin::Emulator`], which reports and audit records then carry.
    pub fn data_origin(mut self, origin: DataOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// Sets the job poll policy. Default: [`PollPolicy::default`].
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.config = self.config.poll_policy(policy);
        self
    }

    /// Sets connect and request timeouts. Default: 10 s and 60 s.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.config = self.config.timeouts(timeouts);
        self
    }

    /// Sets the response-body cap in bytes. Default: 64 MiB.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.config = self.config.max_body_bytes(bytes);
        self
    }

    /// Sets how long before expiry a token is renewed. Default: 60 s (at most half the
    /// token's lifetime).
    pub fn token_renew_margin(mut self, margin: Duration) -> Self {
        self.config = self.config.token_renew_margin(margin);
        self
    }

    /// Validates every setting and builds the client. Makes no network call.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) listing every problem
    /// ([`Error::validation`](crate::Error::validation)), or when the HTTP client cannot be
    /// set up.
    pub fn build(self) -> Result<Client> {
        let config = self.config.build()?;
        let http = HttpCore::new(&config, self.time.unwrap_or_default())?;
        let tokens = TokenCache::new(&config);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                tokens,
                stats: RequestCounter::new(),
                origin: self.origin,
            }),
            scoped: None,
            progress: None,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The client layer's side of each attempt: the token from the cache (read before every
/// attempt, since a long retry wait can outlast it) and its renewal after a 401. The token
/// request goes through the same HTTP core unauthorized, so `http` never names `auth`.
struct Bearer<'a> {
    tokens: &'a TokenCache,
    http: &'a HttpCore,
    meter: &'a Meter,
}

impl Authorize for Bearer<'_> {
    type Credential = Token;

    async fn credential(&self) -> Result<Token> {
        self.tokens.get(self.http, self.meter).await
    }

    async fn renew(&self, refused: &Token) -> Result<Token> {
        self.tokens.renew(refused, self.http, self.meter).await
    }

    fn header(token: &Token) -> HeaderValue {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {}", token.secret().expose_secret()))
                .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
        value.set_sensitive(true);
        value
    }

    fn principal(&self) -> &str {
        self.tokens.client_id()
    }
}
