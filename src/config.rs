//! Where the client connects and how it behaves: regions and hosts, credentials, timeouts,
//! retry and poll policies, and the response-body cap.
//!
//! The one builder is [`ClientBuilder`](crate::ClientBuilder): it collects these settings from
//! code or the environment and its `build` checks them all at once, returning every problem it
//! finds. [`Config`] is the validated result, read back with
//! [`Client::config`](crate::Client::config).

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::error::{Error, Result, ValidationError};

/// Environment variable: the API base URL, or a bare host name meaning `https://`.
pub const ENV_API_HOST: &str = "GENESYS_API_HOST";
/// Environment variable: a region key or domain (used when `GENESYS_API_HOST` is unset).
pub const ENV_REGION: &str = "GENESYS_REGION";
/// Environment variable: the login base URL (else derived from the API URL).
pub const ENV_LOGIN_HOST: &str = "GENESYS_LOGIN_HOST";
/// Environment variable: the OAuth client id.
pub const ENV_CLIENT_ID: &str = "GENESYS_CLIENT_ID";
/// Environment variable: the OAuth client secret.
pub const ENV_CLIENT_SECRET: &str = "GENESYS_CLIENT_SECRET";

/// Every `GENESYS_*` environment variable the crate reads. Any other `GENESYS_*` name in the
/// environment is a configuration error ([`ValidationError::UnknownVariable`]): a typo such as
/// `GENESYS_CLIENTID` must not pass unnoticed.
pub const ENV_VARS: [&str; 5] = [
    ENV_API_HOST,
    ENV_REGION,
    ENV_LOGIN_HOST,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
];

/// The prefix of the crate's environment variables.
pub const ENV_PREFIX: &str = "GENESYS_";

/// `GENESYS_*` names in `names` that the crate does not read, each with the nearest known
/// variable.
///
/// # Example
/// ```
/// use genesys_routing_eval::{ValidationError, config::unknown_env_vars};
/// let problems = unknown_env_vars(["GENESYS_CLIENTID", "GENESYS_REGION", "HOME"]);
/// assert_eq!(
///     problems,
///     vec![ValidationError::UnknownVariable {
///         name: "GENESYS_CLIENTID".into(),
///         suggestion: "GENESYS_CLIENT_ID".into(),
///     }]
/// );
/// ```
pub fn unknown_env_vars<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<ValidationError> {
    let mut unknown: Vec<&str> = names
        .into_iter()
        .filter(|n| n.starts_with(ENV_PREFIX) && !ENV_VARS.contains(n))
        .collect();
    unknown.sort_unstable();
    unknown
        .into_iter()
        .map(|name| ValidationError::UnknownVariable {
            name: name.to_owned(),
            suggestion: crate::error::nearest(name, ENV_VARS)
                .unwrap_or(ENV_CLIENT_ID)
                .to_owned(),
        })
        .collect()
}

/// The default response-body cap: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

macro_rules! regions {
    ($($variant:ident => $key:literal, $domain:literal, $doc:literal;)*) => {
        /// A Genesys Cloud region (the table in the crate's API reference).
        ///
        /// Parse one from its key (`us_east_1` or `us-east-1`, any case) or its domain
        /// (`mypurecloud.ie`, also `api.mypurecloud.ie`).
        ///
        /// # Example
        /// ```
        /// use genesys_routing_eval::config::Region;
        /// let region: Region = "eu-west-1".parse().unwrap();
        /// assert_eq!(region, Region::EuWest1);
        /// assert_eq!(region.api_base().as_str(), "https://api.mypurecloud.ie/");
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Region {
            $(#[doc = $doc] $variant,)*
        }

        impl Region {
            /// Every region, in the reference table's order.
            pub const ALL: &'static [Region] = &[$(Region::$variant,)*];

            /// The region key, such as `us_east_1`.
            pub fn key(self) -> &'static str {
                match self { $(Region::$variant => $key,)* }
            }

            /// The region's domain, such as `mypurecloud.com`.
            pub fn domain(self) -> &'static str {
                match self { $(Region::$variant => $domain,)* }
            }
        }
    };
}

regions! {
    UsEast1 => "us_east_1", "mypurecloud.com", "US East (Virginia), `mypurecloud.com`.";
    UsEast2 => "us_east_2", "use2.us-gov-pure.cloud", "US East 2 (FedRAMP), `use2.us-gov-pure.cloud`.";
    UsWest2 => "us_west_2", "usw2.pure.cloud", "US West (Oregon), `usw2.pure.cloud`.";
    CaCentral1 => "ca_central_1", "cac1.pure.cloud", "Canada (Central), `cac1.pure.cloud`.";
    SaEast1 => "sa_east_1", "sae1.pure.cloud", "South America (São Paulo), `sae1.pure.cloud`.";
    MxCentral1 => "mx_central_1", "mxc1.pure.cloud", "Mexico (Central), `mxc1.pure.cloud`.";
    EuWest1 => "eu_west_1", "mypurecloud.ie", "EU (Ireland), `mypurecloud.ie`.";
    EuWest2 => "eu_west_2", "euw2.pure.cloud", "EU (London), `euw2.pure.cloud`.";
    EuCentral1 => "eu_central_1", "mypurecloud.de", "EU (Frankfurt), `mypurecloud.de`.";
    EuCentral2 => "eu_central_2", "euc2.pure.cloud", "EU (Zurich), `euc2.pure.cloud`.";
    EuscDeEast1 => "eusc_de_east_1", "edee1.eusc-pure.cloud", "EU Sovereign Cloud (Germany East), `edee1.eusc-pure.cloud`.";
    MeCentral1 => "me_central_1", "mec1.pure.cloud", "Middle East (UAE), `mec1.pure.cloud`.";
    ApSouth1 => "ap_south_1", "aps1.pure.cloud", "Asia Pacific (Mumbai), `aps1.pure.cloud`.";
    ApSoutheast1 => "ap_southeast_1", "apse1.pure.cloud", "Asia Pacific (Jakarta), `apse1.pure.cloud`.";
    ApSoutheast2 => "ap_southeast_2", "mypurecloud.com.au", "Asia Pacific (Sydney), `mypurecloud.com.au`.";
    ApNortheast1 => "ap_northeast_1", "mypurecloud.jp", "Asia Pacific (Tokyo), `mypurecloud.jp`.";
    ApNortheast2 => "ap_northeast_2", "apne2.pure.cloud", "Asia Pacific (Seoul), `apne2.pure.cloud`.";
    ApNortheast3 => "ap_northeast_3", "apne3.pure.cloud", "Asia Pacific (Osaka), `apne3.pure.cloud`.";
}

impl Region {
    /// The API base URL, `https://api.{domain}/`.
    pub fn api_base(self) -> Url {
        Url::parse(&format!("https://api.{}/", self.domain())).expect("region domains are valid")
    }

    /// The login base URL, `https://login.{domain}/`.
    pub fn login_base(self) -> Url {
        Url::parse(&format!("https://login.{}/", self.domain())).expect("region domains are valid")
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Region {
    type Err = Error;

    /// Parses a region key (`us_east_1`, `us-east-1`, any case) or a domain, optionally
    /// prefixed with `api.` or `login.`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming the accepted keys.
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase();
        let as_key = wanted.replace('-', "_");
        let as_domain = wanted
            .trim_end_matches('.')
            .trim_start_matches("api.")
            .trim_start_matches("login.");
        Region::ALL
            .iter()
            .copied()
            .find(|r| r.key() == as_key || r.domain() == as_domain)
            .ok_or_else(|| Error::invalid(unknown_region(s)))
    }
}

fn unknown_region(given: &str) -> ValidationError {
    let keys: Vec<&str> = Region::ALL.iter().map(|r| r.key()).collect();
    ValidationError::Invalid {
        name: "region".into(),
        reason: format!(
            "unknown region `{given}`; use a key such as {} or a domain such as mypurecloud.com",
            keys.join(", ")
        ),
    }
}

/// The login base URL the official SDKs derive from an API base URL: `//api.` becomes
/// `//login.`; a host without an `api.` label (a loopback emulator, a gateway) serves both.
///
/// # Example
/// ```
/// use genesys_routing_eval::config::derive_login_base;
/// let api = url::Url::parse("https://api.mypurecloud.de/").unwrap();
/// assert_eq!(derive_login_base(&api).as_str(), "https://login.mypurecloud.de/");
/// ```
pub fn derive_login_base(api_base: &Url) -> Url {
    let mut login = api_base.clone();
    if let Some(rest) = api_base.host_str().and_then(|h| h.strip_prefix("api.")) {
        // Only a domain host can start with `api.`, so set_host cannot fail here.
        let _ = login.set_host(Some(&format!("login.{rest}")));
    }
    login
}

/// Parses a base URL given as a URL or a bare host name (meaning `https://`), checking that
/// plain `http://` is only used for loopback hosts. The path always ends with `/`, so
/// relative joins keep it.
fn parse_base(name: &str, given: &str) -> std::result::Result<Url, ValidationError> {
    let given = given.trim();
    let text = if given.contains("://") {
        given.to_owned()
    } else {
        format!("https://{given}")
    };
    let mut url = Url::parse(&text).map_err(|e| ValidationError::Invalid {
        name: name.into(),
        reason: format!("`{given}` is not a URL ({e}); give one like https://api.mypurecloud.com"),
    })?;
    let host = url.host_str().unwrap_or_default().to_owned();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(ValidationError::InsecureHttp { host }),
        other => {
            return Err(ValidationError::Invalid {
                name: name.into(),
                reason: format!("scheme `{other}` is not supported; use https"),
            });
        }
    }
    if host.is_empty() {
        return Err(ValidationError::Invalid {
            name: name.into(),
            reason: format!("`{given}` has no host; give one like https://api.mypurecloud.com"),
        });
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// An OAuth client's id and secret, for the client-credentials grant.
///
/// The secret is a [`SecretString`]: `Debug` shows `[redacted]`, and nothing in the crate
/// logs or formats it.
#[derive(Clone)]
pub struct Credentials {
    client_id: String,
    client_secret: SecretString,
}

impl Credentials {
    /// Credentials from an id and a secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<SecretString>) -> Self {
        Credentials {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// The OAuth client id (not secret: it names the client in errors).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// The client secret, still wrapped.
    pub fn client_secret(&self) -> &SecretString {
        &self.client_secret
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// Connect and per-request timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Time allowed to establish a connection (default 10 s).
    pub connect: Duration,
    /// Time allowed for one request, from sending to the last byte of the body (default 60 s).
    pub request: Duration,
}

impl Timeouts {
    /// Timeouts with the given connect and request limits.
    pub fn new(connect: Duration, request: Duration) -> Self {
        Timeouts { connect, request }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            request: Duration::from_secs(60),
        }
    }
}

/// How failed requests are retried: capped exponential backoff with full jitter, with the
/// server's `Retry-After` taking precedence.
///
/// Attempt `n` (1-based) that fails retryably waits a jittered duration in
/// `[0, min(cap, base * 2^(n-1))]`, or the `Retry-After` the server sent. Retrying stops after
/// `max_attempts` attempts, when `Retry-After` exceeds `retry_after_ceiling`, or when the next
/// wait would pass `total_deadline` (measured from the first attempt).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 5; 1 disables retrying).
    pub max_attempts: u32,
    /// Backoff before jitter for the first retry (default 500 ms).
    pub base: Duration,
    /// Largest backoff before jitter (default 30 s).
    pub cap: Duration,
    /// Largest `Retry-After` honoured; beyond it the call fails at once (default 180 s, as
    /// the official Java and Go SDKs).
    pub retry_after_ceiling: Duration,
    /// Longest time one call may spend across attempts and waits (default 10 min).
    pub total_deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            retry_after_ceiling: Duration::from_secs(180),
            total_deadline: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of attempts, the first included.
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// Sets the backoff base and cap.
    pub fn with_backoff(mut self, base: Duration, cap: Duration) -> Self {
        self.base = base;
        self.cap = cap;
        self
    }

    /// Sets the largest `Retry-After` honoured.
    pub fn with_retry_after_ceiling(mut self, ceiling: Duration) -> Self {
        self.retry_after_ceiling = ceiling;
        self
    }

    /// Sets the total deadline for one call.
    pub fn with_total_deadline(mut self, deadline: Duration) -> Self {
        self.total_deadline = deadline;
        self
    }

    /// The backoff ceiling before jitter for retry number `retry` (1-based).
    pub fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base.saturating_mul(factor).min(self.cap)
    }

    fn problems(&self) -> Vec<ValidationError> {
        let mut found = Vec::new();
        let mut bad = |reason: &str| {
            found.push(ValidationError::Invalid {
                name: "retry_policy".into(),
                reason: reason.into(),
            })
        };
        if self.max_attempts == 0 {
            bad("max_attempts is 0; use 1 or more (1 means no retries)");
        }
        if self.base > self.cap {
            bad("backoff base exceeds its cap; make the cap at least the base");
        }
        if self.total_deadline.is_zero() {
            bad("total_deadline is 0; give it a positive duration");
        }
        found
    }
}

/// How an asynchronous job is polled: exponential intervals without jitter, and a deadline
/// after which the job is cancelled.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct PollPolicy {
    /// First wait after submitting (default 500 ms).
    pub initial: Duration,
    /// Each wait is the previous times this (default 1.5).
    pub factor: f64,
    /// Longest wait between polls (default 10 s).
    pub max_interval: Duration,
    /// Time after submission when the job is given up and cancelled (default 30 min).
    pub deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            initial: Duration::from_millis(500),
            factor: 1.5,
            max_interval: Duration::from_secs(10),
            deadline: Duration::from_secs(30 * 60),
        }
    }
}

impl PollPolicy {
    /// Sets the first wait, the growth factor and the longest wait.
    pub fn with_intervals(
        mut self,
        initial: Duration,
        factor: f64,
        max_interval: Duration,
    ) -> Self {
        self.initial = initial;
        self.factor = factor;
        self.max_interval = max_interval;
        self
    }

    /// Sets the deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The wait before poll number `poll` (1-based): `initial * factor^(poll-1)`, at most
    /// `max_interval`.
    pub fn interval(&self, poll: u32) -> Duration {
        let exponent = i32::try_from(poll.saturating_sub(1)).unwrap_or(i32::MAX);
        let secs = self.initial.as_secs_f64() * self.factor.powi(exponent);
        if !secs.is_finite() || secs >= self.max_interval.as_secs_f64() {
            self.max_interval
        } else {
            Duration::from_secs_f64(secs)
        }
    }

    fn problems(&self) -> Vec<ValidationError> {
        let mut found = Vec::new();
        let mut bad = |reason: &str| {
            found.push(ValidationError::Invalid {
                name: "poll_policy".into(),
                reason: reason.into(),
            })
        };
        if self.initial.is_zero() {
            bad("initial interval is 0; give it a positive duration such as 500 ms");
        }
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            bad("factor must be a finite number of at least 1.0, such as 1.5");
        }
        if self.max_interval < self.initial {
            bad("max_interval is below the initial interval; raise it");
        }
        if self.deadline.is_zero() {
            bad("deadline is 0; give it a positive duration");
        }
        found
    }
}

/// A validated configuration: hosts, credentials and policies. Made by
/// [`ClientBuilder::build`](crate::ClientBuilder::build), read with
/// [`Client::config`](crate::Client::config).
#[derive(Clone)]
pub struct Config {
    api_base: Url,
    login_base: Url,
    credentials: Credentials,
    timeouts: Timeouts,
    retry: RetryPolicy,
    poll: PollPolicy,
    max_body_bytes: usize,
    token_renew_margin: Duration,
}

impl Config {
    /// The API base URL, ending in `/`.
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }

    /// The login base URL, ending in `/`.
    pub fn login_base(&self) -> &Url {
        &self.login_base
    }

    /// The OAuth client credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Connect and request timeouts.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The job poll policy.
    pub fn poll_policy(&self) -> &PollPolicy {
        &self.poll
    }

    /// The largest response body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// How long before its expiry a token is renewed.
    pub fn token_renew_margin(&self) -> Duration {
        self.token_renew_margin
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("api_base", &self.api_base.as_str())
            .field("login_base", &self.login_base.as_str())
            .field("credentials", &self.credentials)
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("poll", &self.poll)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// The settings a [`ClientBuilder`](crate::ClientBuilder) collects, from code or the
/// environment, validated all at once by [`validate`](Settings::validate). Each setting has
/// its one setter, and its one documentation, on the client builder.
#[derive(Clone, Default)]
pub(crate) struct Settings {
    pub(crate) region: Option<Region>,
    pub(crate) api_base: Option<String>,
    pub(crate) login_base: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<SecretString>,
    pub(crate) timeouts: Option<Timeouts>,
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) poll: Option<PollPolicy>,
    pub(crate) max_body_bytes: Option<usize>,
    pub(crate) token_renew_margin: Option<Duration>,
    /// Problems seen while reading settings (an unparsable region in the environment), kept
    /// for `validate` so that it reports them with everything else.
    deferred: Vec<ValidationError>,
}

impl Settings {
    /// Settings read from the process environment (see [`from_env_map`](Self::from_env_map)).
    pub(crate) fn from_env() -> Self {
        let names: Vec<String> = std::env::vars_os()
            .filter_map(|(name, _)| name.into_string().ok())
            .collect();
        let mut builder = Self::from_env_lookup(|name| std::env::var(name).ok());
        builder
            .deferred
            .splice(0..0, unknown_env_vars(names.iter().map(String::as_str)));
        builder
    }

    /// Settings read from `vars` as if they were the environment (the variables are
    /// documented on [`ClientBuilder::from_env_map`](crate::ClientBuilder::from_env_map)).
    pub(crate) fn from_env_map(vars: &HashMap<String, String>) -> Self {
        let mut builder = Self::from_env_lookup(|name| vars.get(name).cloned());
        builder
            .deferred
            .splice(0..0, unknown_env_vars(vars.keys().map(String::as_str)));
        builder
    }

    fn from_env_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = Settings::default();
        if let Some(host) = get(ENV_API_HOST) {
            builder.api_base = Some(host);
        } else if let Some(region) = get(ENV_REGION) {
            match region.parse::<Region>() {
                Ok(r) => builder.region = Some(r),
                Err(_) => builder.deferred.push(ValidationError::Invalid {
                    name: ENV_REGION.into(),
                    reason: format!(
                        "unknown region `{region}`; use a key such as eu_west_1 or a domain such as mypurecloud.ie"
                    ),
                }),
            }
        }
        builder.login_base = get(ENV_LOGIN_HOST);
        builder.client_id = get(ENV_CLIENT_ID);
        builder.client_secret = get(ENV_CLIENT_SECRET).map(SecretString::from);
        builder
    }

    /// Checks every setting and returns the configuration.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) holding every problem found
    /// ([`Error::validation`]): no host, a bad URL, plain http to a non-loopback host, missing
    /// or empty credentials, zero timeouts or body cap, inconsistent policies.
    pub(crate) fn validate(&self) -> Result<Config> {
        let mut problems = self.deferred.clone();
        let api_base = self.resolve_api_base(&mut problems);
        let login_base = self.resolve_login_base(api_base.as_ref(), &mut problems);
        let credentials = self.resolve_credentials(&mut problems);
        let timeouts = self.timeouts.unwrap_or_default();
        if timeouts.connect.is_zero() || timeouts.request.is_zero() {
            problems.push(ValidationError::Invalid {
                name: "timeouts".into(),
                reason: "a timeout is 0; give connect and request timeouts positive durations"
                    .into(),
            });
        }
        let retry = self.retry.unwrap_or_default();
        problems.extend(retry.problems());
        let poll = self.poll.unwrap_or_default();
        problems.extend(poll.problems());
        let max_body_bytes = self.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes == 0 {
            problems.push(ValidationError::Invalid {
                name: "max_body_bytes".into(),
                reason: "is 0; allow at least a few kilobytes (default 64 MiB)".into(),
            });
        }
        match (api_base, login_base, credentials) {
            (Some(api_base), Some(login_base), Some(credentials)) if problems.is_empty() => {
                Ok(Config {
                    api_base,
                    login_base,
                    credentials,
                    timeouts,
                    retry,
                    poll,
                    max_body_bytes,
                    token_renew_margin: self.token_renew_margin.unwrap_or(Duration::from_secs(60)),
                })
            }
            _ => Err(Error::validation_errors(problems)),
        }
    }

    fn resolve_api_base(&self, problems: &mut Vec<ValidationError>) -> Option<Url> {
        if let Some(given) = &self.api_base {
            return parse_base("api_base", given)
                .map_err(|p| problems.push(p))
                .ok();
        }
        if let Some(region) = self.region {
            return Some(region.api_base());
        }
        let region_refused = self
            .deferred
            .iter()
            .any(|p| matches!(p, ValidationError::Invalid { name, .. } if name == ENV_REGION));
        if !region_refused {
            problems.push(ValidationError::Missing {
                name: "region or api_base".into(),
                hint: format!(
                    "set {ENV_REGION} or {ENV_API_HOST}, or call .region(..) or .api_base(..)"
                ),
            });
        }
        None
    }

    fn resolve_login_base(
        &self,
        api_base: Option<&Url>,
        problems: &mut Vec<ValidationError>,
    ) -> Option<Url> {
        if let Some(given) = &self.login_base {
            return parse_base("login_base", given)
                .map_err(|p| problems.push(p))
                .ok();
        }
        match (self.region, self.api_base.is_none()) {
            (Some(region), true) => Some(region.login_base()),
            _ => api_base.map(derive_login_base),
        }
    }

    fn resolve_credentials(&self, problems: &mut Vec<ValidationError>) -> Option<Credentials> {
        let id = self.client_id.clone().filter(|id| !id.trim().is_empty());
        let secret = self
            .client_secret
            .clone()
            .filter(|s| !s.expose_secret().is_empty());
        if id.is_none() {
            problems.push(ValidationError::Missing {
                name: "client id".into(),
                hint: format!("set {ENV_CLIENT_ID} or call .credentials(id, secret)"),
            });
        }
        if secret.is_none() {
            problems.push(ValidationError::Missing {
                name: "client secret".into(),
                hint: format!("set {ENV_CLIENT_SECRET} or call .credentials(id, secret)"),
            });
        }
        Some(Credentials {
            client_id: id?,
            client_secret: secret?,
        })
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("region", &self.region)
            .field("api_base", &self.api_base)
            .field("login_base", &self.login_base)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = RetryPolicy::default().with_backoff(Duration::from_secs(1), Duration::from_secs(5));
        let waits: Vec<_> = (1..=5).map(|n| p.backoff_ceiling(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
        assert_eq!(p.backoff_ceiling(200), Duration::from_secs(5));
    }

    #[test]
    fn poll_intervals_grow_by_half_up_to_ten_seconds() {
        let p = PollPolicy::default();
        let ms: Vec<_> = (1..=4).map(|n| p.interval(n).as_millis()).collect();
        assert_eq!(ms, vec![500, 750, 1125, 1687]);
        assert_eq!(p.interval(50), Duration::from_secs(10));
        assert_eq!(p.interval(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn login_host_is_the_api_host_without_an_api_label() {
        let api = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(derive_login_base(&api), api);
    }
}
