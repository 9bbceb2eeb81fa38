//! [`ClientBuilder`], the one builder of a [`Client`]: every setting of the client layer has
//! its one setter here.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use super::{Client, Inner};
use crate::auth::TokenCache;
use crate::config::{PollPolicy, Region, RetryPolicy, Settings, Timeouts};
use crate::error::Result;
use crate::http::{HttpCore, RequestCounter};
use crate::origin::DataOrigin;
use crate::time::TimeSource;

/// Builds a [`Client`]: hosts, credentials, timeouts, the retry and poll policies, the body
/// cap, the clock. [`build`](ClientBuilder::build) validates every setting at once.
///
/// Hosts come from [`region`](Self::region) or [`api_base`](Self::api_base) (and optionally
/// [`login_base`](Self::login_base)); credentials from [`credentials`](Self::credentials); or
/// all of them from the environment with [`from_env`](Self::from_env). Each setting is made
/// here and only here: the sources and the evaluation use the client's.
///
/// # Example
/// ```
/// use std::time::Duration;
/// use genesys_routing_eval::Client;
/// use genesys_routing_eval::config::{PollPolicy, Region, RetryPolicy};
///
/// # fn main() -> genesys_routing_eval::Result<()> {
/// let client = Client::builder()
///     .region(Region::EuWest1)
///     .credentials("my-client-id", "my-client-secret")
///     .retry_policy(RetryPolicy::default().with_max_attempts(3))
///     .poll_policy(PollPolicy::default().with_deadline(Duration::from_secs(15 * 60)))
///     .build()?;
/// assert_eq!(client.config().poll_policy().deadline, Duration::from_secs(15 * 60));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ClientBuilder {
    settings: Settings,
    time: Option<TimeSource>,
    origin: DataOrigin,
}

impl ClientBuilder {
    /// A builder with nothing set (the same as [`Client::builder`]).
    pub fn new() -> Self {
        ClientBuilder::default()
    }

    /// A builder seeded from the process environment, as [`from_env_map`](Self::from_env_map)
    /// reads it.
    pub fn from_env() -> Self {
        ClientBuilder {
            settings: Settings::from_env(),
            ..ClientBuilder::default()
        }
    }

    /// A builder seeded from `vars` as if they were the environment: `GENESYS_API_HOST` (a URL
    /// or bare host name meaning https; wins over the region), `GENESYS_REGION`,
    /// `GENESYS_LOGIN_HOST`, `GENESYS_CLIENT_ID`, `GENESYS_CLIENT_SECRET`. Empty values count
    /// as unset. Any other `GENESYS_*` name makes [`build`](Self::build) fail with
    /// [`ValidationError::UnknownVariable`](crate::ValidationError::UnknownVariable) naming the
    /// nearest known one. Later setters override what was read.
    pub fn from_env_map(vars: &HashMap<String, String>) -> Self {
        ClientBuilder {
            settings: Settings::from_env_map(vars),
            ..ClientBuilder::default()
        }
    }

    /// Connects to a region's API and login hosts. Overrides an API base given before.
    pub fn region(mut self, region: Region) -> Self {
        self.settings.region = Some(region);
        self.settings.api_base = None;
        self
    }

    /// Connects to this API base URL (or bare host name, meaning https), such as
    /// `https://api.mypurecloud.ie` or `http://127.0.0.1:8080`; plain http only for loopback.
    /// Overrides a region given before.
    pub fn api_base(mut self, url: impl AsRef<str>) -> Self {
        self.settings.api_base = Some(url.as_ref().to_owned());
        self.settings.region = None;
        self
    }

    /// Logs in at this base URL. Default: the region's login host, or derived from the API
    /// base as the official SDKs do ([`derive_login_base`](crate::config::derive_login_base)).
    pub fn login_base(mut self, url: impl AsRef<str>) -> Self {
        self.settings.login_base = Some(url.as_ref().to_owned());
        self
    }

    /// Sets the OAuth client id and secret.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<SecretString>,
    ) -> Self {
        self.settings.client_id = Some(client_id.into());
        self.settings.client_secret = Some(client_secret.into());
        self
    }

    /// Sets connect and per-request timeouts. Default: [`Timeouts::default`] (10 s connect,
    /// 60 s per request).
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.settings.timeouts = Some(timeouts);
        self
    }

    /// Sets how failed requests are retried. Default: [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = Some(policy);
        self
    }

    /// Sets how jobs of both sources are polled, and their deadline. Default:
    /// [`PollPolicy::default`] (500 ms, x1.5, at most 10 s; 30 min deadline).
    pub fn poll_policy(mut self, policy: PollPolicy) -> Self {
        self.settings.poll = Some(policy);
        self
    }

    /// Sets the response-body cap in bytes. Default:
    /// [`DEFAULT_MAX_BODY_BYTES`](crate::config::DEFAULT_MAX_BODY_BYTES) (64 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.settings.max_body_bytes = Some(bytes);
        self
    }

    /// Sets how long before expiry a token is renewed. Default: 60 s, and at most half of a
    /// token's lifetime.
    pub fn token_renew_margin(mut self, margin: Duration) -> Self {
        self.settings.token_renew_margin = Some(margin);
        self
    }

    /// Sets the clock, sleeper and jitter. Default: the system's ([`TimeSource::default`]).
    pub fn time_source(mut self, time: TimeSource) -> Self {
        self.time = Some(time);
        self
    }

    /// Says where the data comes from. Default: [`DataOrigin::Genesys`];
    /// `routing_eval_emulator::Emulator::client_builder` (the emulator crate) sets
    /// [`DataOrigin::Emulator`], which reports and audit records then carry.
    pub fn data_origin(mut self, origin: DataOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// Validates every setting and builds the client. Makes no network call.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) holding every problem found
    /// ([`Error::validation`](crate::Error::validation)): no host, a bad URL, plain http to a
    /// non-loopback host, missing or empty credentials, zero timeouts or body cap,
    /// inconsistent policies; or when the HTTP client cannot be set up.
    pub fn build(self) -> Result<Client> {
        let config = self.settings.validate()?;
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
            .field("settings", &self.settings)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}
