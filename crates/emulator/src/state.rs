//! The emulator's mutable state: tokens, jobs, scripted faults, counters, rate windows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::errors::ApiError;
use super::query::AggregationQuery;
use super::{EmulatorStats, Endpoint, Fault, Settings};

/// How a job ends once its latency has passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    Fulfilled,
    Failed(String),
    Expired,
}

/// One asynchronous job, of either source.
#[derive(Debug)]
pub(crate) struct Job {
    /// Whether this is a strategies facade job (its ids live apart from aggregates jobs).
    pub(crate) facade: bool,
    pub(crate) submitted: Instant,
    pub(crate) submitted_at: DateTime<Utc>,
    pub(crate) outcome: Outcome,
    pub(crate) cancelled: bool,
    /// What the results pages are made of.
    pub(crate) content: Content,
    pub(crate) page_size: usize,
}

/// A job's results: the facade's few entities, or an aggregates query whose pages are
/// generated when asked for (a job holds its query, never its rows).
#[derive(Debug, Clone)]
pub(crate) enum Content {
    Entities(Arc<Vec<Value>>),
    Aggregates(Arc<AggregationQuery>),
}

/// A generated page: its groups as a serialised JSON array, and the cursor position of the
/// next page. Kept serialised: a JSON tree takes many times the bytes of its text.
pub(crate) type CachedPage = Arc<(bytes::Bytes, Option<usize>)>;
/// A page being generated or generated, shared by the requests that ask for it.
pub(crate) type PageCell = Arc<tokio::sync::OnceCell<CachedPage>>;

/// Where a job stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobState {
    Queued,
    Pending,
    Fulfilled,
    Failed(String),
    Expired,
    Cancelled,
}

impl Job {
    pub(crate) fn state(&self, latency: Duration) -> JobState {
        if self.cancelled {
            return JobState::Cancelled;
        }
        let elapsed = self.submitted.elapsed();
        if elapsed < latency {
            return if elapsed < latency / 2 {
                JobState::Queued
            } else {
                JobState::Pending
            };
        }
        match &self.outcome {
            Outcome::Fulfilled => JobState::Fulfilled,
            Outcome::Failed(message) => JobState::Failed(message.clone()),
            Outcome::Expired => JobState::Expired,
        }
    }

    /// When the job reached its end state, if it has.
    pub(crate) fn completed_at(&self, latency: Duration) -> Option<DateTime<Utc>> {
        match self.state(latency) {
            JobState::Queued | JobState::Pending | JobState::Cancelled => None,
            _ => Some(
                self.submitted_at
                    + chrono::Duration::from_std(latency).unwrap_or(chrono::Duration::zero()),
            ),
        }
    }
}

#[derive(Debug)]
struct TokenInfo {
    expires: Instant,
    revoked: bool,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenProblem {
    Missing,
    Invalid,
}

#[derive(Debug)]
struct Scripted {
    endpoint: Endpoint,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug)]
struct RateWindow {
    started: Instant,
    count: u64,
}

/// The rate-limit budget as seen by one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Budget {
    pub(crate) allowed: u64,
    pub(crate) count: u64,
    pub(crate) reset_secs: u64,
    pub(crate) exceeded: bool,
}

/// Genesys's usual per-token budget, shown in headers when no limit is configured.
const USUAL_BUDGET: u64 = 300;

/// Shared by every request handler.
pub(crate) struct State {
    pub(crate) settings: Settings,
    tokens: Mutex<HashMap<String, TokenInfo>>,
    jobs: Mutex<HashMap<String, Job>>,
    faults: Mutex<Vec<Scripted>>,
    stats: Mutex<EmulatorStats>,
    rate: Mutex<HashMap<String, RateWindow>>,
}

/// Pages generated in this process, shared by every emulator: the key names the scenario's
/// fingerprint, the seed, the query, the position and the page size, which fix the page. So
/// the many emulators of a test run, serving the same default centre, generate each page once.
static PAGES: std::sync::LazyLock<Mutex<HashMap<String, PageCell>>> =
    std::sync::LazyLock::new(Mutex::default);

/// Pages kept, so that many clients asking the same thing (a load test) cost one
/// generation. Only small pages are kept ([`CACHED_PAGE_BYTES`]), so the cache holds at
/// most 32 MB.
const CACHED_PAGES: usize = 64;
/// The largest page kept, in bytes of JSON.
pub(crate) const CACHED_PAGE_BYTES: usize = 512 * 1024;

/// Locks, recovering from a poisoned lock: a panicking handler must not take the emulator
/// down with it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    pub(crate) fn new(settings: Settings) -> Self {
        State {
            settings,
            tokens: Mutex::default(),
            jobs: Mutex::default(),
            faults: Mutex::default(),
            stats: Mutex::default(),
            rate: Mutex::default(),
        }
    }

    pub(crate) fn stats(&self) -> EmulatorStats {
        lock(&self.stats).clone()
    }

    pub(crate) fn count(&self, update: impl FnOnce(&mut EmulatorStats)) {
        update(&mut lock(&self.stats));
    }

    pub(crate) fn inject(&self, endpoint: Endpoint, fault: Fault, times: usize) {
        if times > 0 {
            lock(&self.faults).push(Scripted {
                endpoint,
                fault,
                remaining: times,
            });
        }
    }

    /// Takes the first scripted fault that applies to this endpoint and passes `accept`.
    pub(crate) fn take_fault(
        &self,
        endpoint: Endpoint,
        accept: impl Fn(&Fault) -> bool,
    ) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|s| {
            (s.endpoint == endpoint || s.endpoint == Endpoint::Any) && accept(&s.fault)
        })?;
        let fault = faults[index].fault.clone();
        faults[index].remaining -= 1;
        if faults[index].remaining == 0 {
            faults.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn issue_token(&self) -> String {
        let token = random_token();
        lock(&self.tokens).insert(
            token.clone(),
            TokenInfo {
                expires: Instant::now() + self.settings.token_lifetime,
                revoked: false,
            },
        );
        token
    }

    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<(), TokenProblem> {
        let token = token.ok_or(TokenProblem::Missing)?;
        let tokens = lock(&self.tokens);
        match tokens.get(token) {
            Some(info) if !info.revoked && Instant::now() < info.expires => Ok(()),
            _ => Err(TokenProblem::Invalid),
        }
    }

    pub(crate) fn revoke_token(&self, token: &str) {
        if let Some(info) = lock(&self.tokens).get_mut(token) {
            info.revoked = true;
        }
    }

    /// Counts one request against `key`'s one-minute window.
    pub(crate) fn spend_budget(&self, key: &str) -> Budget {
        let allowed = self.settings.rate_limit.map_or(USUAL_BUDGET, u64::from);
        let mut rate = lock(&self.rate);
        let now = Instant::now();
        let window = rate.entry(key.to_owned()).or_insert(RateWindow {
            started: now,
            count: 0,
        });
        let length = self.settings.rate_window;
        if now.duration_since(window.started) >= length {
            window.started = now;
            window.count = 0;
        }
        window.count += 1;
        let left = length.saturating_sub(now.duration_since(window.started));
        Budget {
            allowed,
            count: window.count,
            reset_secs: left.as_secs_f64().ceil().max(1.0) as u64,
            exceeded: self.settings.rate_limit.is_some() && window.count > allowed,
        }
    }

    /// The budget without spending it, for answers to requests that carry no token.
    pub(crate) fn idle_budget(&self) -> Budget {
        Budget {
            allowed: self.settings.rate_limit.map_or(USUAL_BUDGET, u64::from),
            count: 0,
            reset_secs: self.settings.rate_window.as_secs().max(1),
            exceeded: false,
        }
    }

    /// The cell of the page with this key: filled already, being filled by another
    /// request, or new (forgetting every page when the cache is full).
    pub(crate) fn page_cell(&self, key: &str) -> PageCell {
        let key = format!(
            "{:016x} {} {key}",
            self.settings.fingerprint, self.settings.seed
        );
        let key = key.as_str();
        let mut pages = lock(&PAGES);
        if let Some(cell) = pages.get(key) {
            return Arc::clone(cell);
        }
        if pages.len() >= CACHED_PAGES {
            pages.clear();
        }
        let cell = PageCell::default();
        pages.insert(key.to_owned(), Arc::clone(&cell));
        cell
    }

    /// Drops a page from the cache (too big to keep, or its generation failed).
    pub(crate) fn forget_page(&self, key: &str) {
        let key = format!(
            "{:016x} {} {key}",
            self.settings.fingerprint, self.settings.seed
        );
        lock(&PAGES).remove(&key);
    }

    pub(crate) fn add_job(&self, job: Job) -> String {
        let id = random_uuid();
        lock(&self.jobs).insert(id.clone(), job);
        id
    }

    /// Runs `f` on the job, if a job of that API (`facade` or aggregates) has this id; else
    /// the 404 `not.found` Genesys answers for an unknown job.
    pub(crate) fn with_job<R>(
        &self,
        id: &str,
        facade: bool,
        f: impl FnOnce(&mut Job) -> R,
    ) -> Result<R, ApiError> {
        lock(&self.jobs)
            .get_mut(id)
            .filter(|job| job.facade == facade)
            .map(f)
            .ok_or_else(|| ApiError::not_found(&format!("job {id}")))
    }

    /// Like [`with_job`](Self::with_job), `f` also given the job's state now.
    pub(crate) fn with_job_state<R>(
        &self,
        id: &str,
        facade: bool,
        f: impl FnOnce(&Job, JobState) -> R,
    ) -> Result<R, ApiError> {
        let latency = self.settings.job_latency;
        self.with_job(id, facade, |job| f(job, job.state(latency)))
    }
}

/// A random UUID v4, as Genesys uses for job and correlation ids.
pub(crate) fn random_uuid() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

fn random_token() -> String {
    let mut token = String::with_capacity(64);
    for _ in 0..4 {
        token.push_str(&format!("{:016x}", fastrand::u64(..)));
    }
    token
}
