//! The [`Client`]: configuration, token cache and HTTP core in one cheap-to-clone handle.
//!
//! The client layer resolves the credential of every attempt (`bearer`): it reads the token
//! cache before each attempt, hands the HTTP core the `Authorization` header, and after a 401
//! renews the token once and replays, so the transport never sees a token.

mod bearer;
mod builder;

use std::fmt;
use std::sync::Arc;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::auth::TokenCache;
use crate::config::Config;
use crate::error::Result;
use crate::http::{CallKind, HttpCore, Meter, Request, Response};
pub use crate::http::{RequestCounter, RequestStats};
use crate::origin::DataOrigin;
use crate::progress::Progress;
use crate::time::TimeSource;
pub use builder::ClientBuilder;

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

    /// Sends an authenticated request through the retrying HTTP core: the token is read for
    /// every attempt and renewed once on a 401 (`bearer`).
    pub(crate) async fn execute(&self, request: Request) -> Result<Response> {
        let meter = self.meter();
        bearer::execute(&self.inner.http, &self.inner.tokens, &request, &meter).await
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
