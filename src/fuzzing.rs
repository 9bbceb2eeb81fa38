//! Entry points for the fuzz tests (feature `test-util`; not part of the supported API).
//!
//! Each function feeds untrusted bytes through exactly the code the client runs on a server's
//! answer: the body is gathered under the size cap as [`read_capped`](crate::http) gathers
//! it, decoded by the same `decode` (serde_path_to_error, so errors name a JSON path), and
//! then processed as the sources process it (pages into a [`MetricTable`], KPIs derived).
//! Nothing here re-implements a decoder: a bug found through these functions is a bug in the
//! client.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::auth::Grant;
use crate::error::{Error, Result};
use crate::http::{CappedBody, Response, classify_answer};
use crate::metrics::{Kpis, MetricTable};
use crate::score_file::{self, Options, ScoreFile};
use crate::scoring;
use crate::sources::aggregates::{self, JobStatus};
use crate::sources::strategies::{self, StrategiesJobStatus, StrategiesPage};

/// Gathers `chunks` into a body the way the HTTP core reads a response: a declared length
/// beyond `cap` is refused before anything is allocated, and so is a body growing past it.
///
/// # Errors
/// [`ErrorKind::Decode`](crate::ErrorKind::Decode) when the body passes the cap.
pub fn capped_body(declared: Option<u64>, chunks: &[&[u8]], cap: usize) -> Result<Bytes> {
    let mut body = CappedBody::new(declared, cap)?;
    for chunk in chunks {
        body.push(chunk)?;
    }
    Ok(body.finish())
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8], cap: usize, what: &str) -> Result<T> {
    let body = capped_body(Some(body.len() as u64), &[body], cap)?;
    Response {
        correlation_id: None,
        body,
    }
    .decode(what)
}

/// Decodes a token endpoint answer as the token cache does.
///
/// # Errors
/// `Decode` naming the JSON path, or the cap.
pub fn token_response(body: &[u8], cap: usize) -> Result<()> {
    let grant: Grant = decode(body, cap, "token response")?;
    // The cache turns `expires_in` into a renewal instant: that must not overflow either.
    std::hint::black_box(std::time::Duration::from_secs(grant.expires_in));
    std::hint::black_box(grant.access_token);
    Ok(())
}

/// Decodes an aggregates job status as [`Aggregates::status`](crate::sources::aggregates::Aggregates::status) does.
///
/// # Errors
/// `Decode` naming the JSON path, or the cap.
pub fn aggregates_job_status(body: &[u8], cap: usize) -> Result<()> {
    let status: JobStatus = decode(body, cap, "job status")?;
    std::hint::black_box((status.state.is_failure(), status.state.to_string()));
    Ok(())
}

/// Decodes a strategies facade job status as the facade source does.
///
/// # Errors
/// `Decode` naming the JSON path, or the cap.
pub fn strategies_job_status(body: &[u8], cap: usize) -> Result<()> {
    let status: StrategiesJobStatus = decode(body, cap, "strategies job status")?;
    std::hint::black_box(status.status.to_string());
    Ok(())
}

/// Decodes an aggregates results page straight into a metric table grouped by `usedRouting`,
/// as [`Aggregates::run`](crate::sources::aggregates::Aggregates::run) does, then derives
/// every strategy's KPIs, as an evaluation does.
///
/// # Errors
/// `Decode` naming the JSON path, or the cap.
pub fn aggregates_results_page(body: &[u8], cap: usize) -> Result<()> {
    let body = capped_body(Some(body.len() as u64), &[body], cap)?;
    let response = Response {
        correlation_id: None,
        body,
    };
    let mut table = MetricTable::new();
    // `Aggregates::run` decodes pages straight into its table; so does this.
    aggregates::decode_page(
        &response.body,
        response.correlation_id.as_deref(),
        &mut table,
        &aggregates::TableLayout::new("usedRouting"),
    )?;
    derive_all(&table);
    Ok(())
}

/// Decodes a strategies facade results page and adds its entities to a metric table, then
/// derives every strategy's KPIs, as an evaluation does.
///
/// # Errors
/// `Decode` naming the JSON path, or the cap.
pub fn strategies_results_page(body: &[u8], cap: usize) -> Result<()> {
    let page: StrategiesPage = decode(body, cap, "strategies results page")?;
    let mut table = MetricTable::new();
    for entity in &page.entities {
        let interval = entity.interval.clone().unwrap_or_default();
        table.push(
            &entity.entity_id,
            interval,
            strategies::counts_of_entity(entity),
        );
    }
    derive_all(&table);
    Ok(())
}

fn derive_all(table: &MetricTable) {
    for strategy in table.strategies() {
        std::hint::black_box(Kpis::from_counts(&strategy.totals()));
    }
    std::hint::black_box(Kpis::from_counts(table.unattributed()));
}

/// The error a non-2xx answer with this `status`, `body` and headers becomes, as the HTTP core
/// classifies it; header values that HTTP cannot carry are left out. The clock reads the Unix
/// epoch.
pub fn error_body(status: u16, body: &[u8], headers: &[(&str, &str)]) -> Error {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(name, value);
        }
    }
    classify_answer(status, &map, body, DateTime::<Utc>::UNIX_EPOCH)
}

/// Runs `routing-eval score` on `bytes` without printing: parse (fast path, else serde),
/// score, and write the JSON output to nowhere.
///
/// # Errors
/// `Decode` naming the JSON path for a malformed file; `Scoring` or `Config` when the file's
/// config or rows cannot be scored.
pub fn score_file(bytes: &[u8]) -> Result<()> {
    // As the CLI runs it: a second thread allowed.
    let options = Options::new().parallel(true);
    let file = ScoreFile::from_slice_with(bytes, options)?;
    let config = file.config_or_default();
    let scores = scoring::score(&config, &file.cohort)?;
    score_file::write_json_with(&scores, std::io::sink(), options)
}

/// Checks that the score file's fast path returns exactly what the serde reader returns
/// whenever it accepts a file (it must defer on anything else).
///
/// # Errors
/// A description of the disagreement.
pub fn score_file_paths_agree(bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(fast) = score_file::fast_parse::parse(bytes, true) else {
        return Ok(());
    };
    let reference = ScoreFile::from_slice_serde(bytes)
        .map_err(|e| format!("the fast path accepted what serde refuses: {e}"))?;
    if fast.config != reference.config {
        return Err("configs differ".into());
    }
    let (a, b) = (&fast.cohort, &reference.cohort);
    if a.ids() != b.ids() || a.metric_names() != b.metric_names() {
        return Err("ids or metric names differ".into());
    }
    for name in a.metric_names() {
        let bits = |c: Option<&[f64]>| {
            c.unwrap_or_default()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        if bits(a.column(name)) != bits(b.column(name)) {
            return Err(format!("column `{name}` differs"));
        }
    }
    Ok(())
}
