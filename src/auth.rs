//! The token cache: an OAuth client-credentials token, fetched once for any number of
//! concurrent callers and renewed ahead of its expiry or after a 401.
//!
//! Genesys issues no refresh token for this grant, so renewing means asking again
//! (`POST {login}/oauth/token` with a Basic header and `grant_type=client_credentials`).

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::config::{Config, Credentials};
use crate::error::{Error, ErrorKind, Result};
use crate::http::{CallKind, HttpCore, Meter, Request};

/// An access token and when it stops being used.
#[derive(Clone)]
pub(crate) struct Token {
    secret: SecretString,
    renew_at: DateTime<Utc>,
    /// Which fetch produced it, so that a 401 seen with an old token does not renew a
    /// token another caller already renewed.
    generation: u64,
}

impl Token {
    pub(crate) fn secret(&self) -> &SecretString {
        &self.secret
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("secret", &"[redacted]")
            .field("renew_at", &self.renew_at)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    token: Option<Token>,
    generation: u64,
}

/// Holds the current token; fetching happens under its lock, so concurrent callers on a
/// cold or expired cache wait for one fetch instead of each making their own.
pub(crate) struct TokenCache {
    token_url: Url,
    credentials: Credentials,
    margin: Duration,
    state: Mutex<State>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.credentials.client_id())
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    pub(crate) fn new(config: &Config) -> Self {
        let token_url = config
            .login_base()
            .join("oauth/token")
            .expect("a base URL joins a relative path");
        TokenCache {
            token_url,
            credentials: config.credentials().clone(),
            margin: config.token_renew_margin(),
            state: Mutex::new(State::default()),
        }
    }

    pub(crate) fn client_id(&self) -> &str {
        self.credentials.client_id()
    }

    /// A token valid for at least the renewal margin, fetching one if needed.
    pub(crate) async fn get(&self, http: &HttpCore, meter: &Meter) -> Result<Token> {
        let mut state = self.state.lock().await;
        let now = http.time().clock.now();
        if let Some(token) = state.token.as_ref().filter(|t| now < t.renew_at) {
            return Ok(token.clone());
        }
        self.fetch_into(&mut state, http, meter).await
    }

    /// A token other than `stale`, after the API refused `stale` with a 401: fetches anew
    /// unless another caller already did.
    pub(crate) async fn renew(
        &self,
        stale: &Token,
        http: &HttpCore,
        meter: &Meter,
    ) -> Result<Token> {
        let mut state = self.state.lock().await;
        match &state.token {
            Some(current) if current.generation != stale.generation => Ok(current.clone()),
            _ => self.fetch_into(&mut state, http, meter).await,
        }
    }

    async fn fetch_into(&self, state: &mut State, http: &HttpCore, meter: &Meter) -> Result<Token> {
        state.token = None;
        let requested_at = http.time().clock.now();
        let grant = self.fetch(http, meter).await?;
        let lifetime = Duration::from_secs(grant.expires_in);
        // A short-lived token (minutes) must not be renewed on every call: keep at least half
        // of its lifetime usable.
        let margin = self.margin.min(lifetime / 2);
        let usable = chrono::Duration::from_std(lifetime - margin).unwrap_or(chrono::Duration::MAX);
        state.generation += 1;
        let token = Token {
            secret: SecretString::from(grant.access_token),
            renew_at: requested_at
                .checked_add_signed(usable)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            generation: state.generation,
        };
        state.token = Some(token.clone());
        Ok(token)
    }

    async fn fetch(&self, http: &HttpCore, meter: &Meter) -> Result<Grant> {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            self.credentials.client_id(),
            self.credentials.client_secret().expose_secret()
        ));
        let mut authorization = HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| {
            self.refused(
                "the client id or secret holds characters a header cannot carry",
                None,
            )
        })?;
        authorization.set_sensitive(true);
        let mut request =
            Request::new(Method::POST, self.token_url.clone()).kind(CallKind::Idempotent);
        request.headers.insert(AUTHORIZATION, authorization);
        request.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        request.body = Some("grant_type=client_credentials".into());
        tracing::debug!(client_id = self.client_id(), "requesting an access token");
        let response = http
            .execute(&request, meter)
            .await
            .map_err(|e| self.oauth_error(e))?;
        response.decode::<Grant>("token response")
    }

    fn refused(&self, why: &str, code: Option<&str>) -> Error {
        let mut error = Error::new(
            ErrorKind::Auth,
            format!(
                "oauth client `{}` could not get a token: {why}; check the client id, secret and region",
                self.client_id()
            ),
        );
        if let Some(code) = code {
            error = error.with_code(code);
        }
        error
    }

    /// A 4xx from the login host is the OAuth server refusing the client: an auth error
    /// carrying its description and code. Anything else (5xx, transport) stays as it is.
    fn oauth_error(&self, e: Error) -> Error {
        match e.status() {
            Some(status @ 400..=499) if status != 429 => {
                let mut error = self.refused(e.message(), e.code()).with_status(status);
                if let Some(id) = e.correlation_id() {
                    error = error.with_correlation_id(id.to_owned());
                }
                error
            }
            _ => e,
        }
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct Grant {
    pub(crate) access_token: String,
    pub(crate) expires_in: u64,
}
