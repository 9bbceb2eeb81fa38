//! Where results go: the webhook from `BI_WEBHOOK_URL` (always with a dead-letter directory)
//! and the audit log from `--audit-log`, both checked before any request.

use std::path::{Path, PathBuf};

use genesys_routing_eval::sink::{JsonLinesSink, WebhookSink};

use crate::messages;

/// The webhook's URL.
pub const ENV_WEBHOOK_URL: &str = "BI_WEBHOOK_URL";
/// The webhook's signing secret.
pub const ENV_WEBHOOK_SECRET: &str = "BI_WEBHOOK_SECRET";

/// The sinks of one run, ready to add to the evaluation.
pub struct Delivery {
    /// The webhook, when `BI_WEBHOOK_URL` is set.
    pub webhook: Option<WebhookSink>,
    /// Where the webhook's undeliverable payloads go (set exactly when `webhook` is).
    pub dead_letter_dir: Option<PathBuf>,
    /// The audit log, when `--audit-log` is given.
    pub audit: Option<JsonLinesSink>,
}

/// Where undeliverable payloads go when `--dead-letter-dir` is not given:
/// `$XDG_STATE_HOME/routing-eval/dead-letters`, else
/// `$HOME/.local/state/routing-eval/dead-letters`, else `./routing-eval-dead-letters`.
pub fn default_dead_letter_dir() -> PathBuf {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    if let Some(state) = absolute("XDG_STATE_HOME") {
        return state.join("routing-eval").join("dead-letters");
    }
    if let Some(home) = absolute("HOME") {
        return home.join(".local/state/routing-eval/dead-letters");
    }
    PathBuf::from("routing-eval-dead-letters")
}

/// Reads the webhook settings and opens the sinks, creating the dead-letter directory and the
/// audit log's parents and checking both writable.
///
/// # Errors
/// Every problem, one line each: a secret without a URL, a dead-letter directory without a
/// webhook, an unknown `BI_WEBHOOK_*` variable, a bad URL or secret, a path that cannot be
/// written.
pub fn open(
    audit_log: Option<&Path>,
    dead_letter_dir: Option<&Path>,
) -> Result<Delivery, Vec<String>> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut problems = unknown_webhook_vars();
    let url = env(ENV_WEBHOOK_URL);
    let secret = env(ENV_WEBHOOK_SECRET);
    if url.is_none() && secret.is_some() {
        problems.push(format!(
            "{ENV_WEBHOOK_SECRET} is set but {ENV_WEBHOOK_URL} is not; set the webhook's url or unset the secret"
        ));
    }
    if url.is_none() && dead_letter_dir.is_some() {
        problems.push(format!(
            "--dead-letter-dir keeps undelivered webhook payloads, and no webhook is configured; set {ENV_WEBHOOK_URL} or drop the flag"
        ));
    }
    let mut delivery = Delivery {
        webhook: None,
        dead_letter_dir: None,
        audit: None,
    };
    if let Some(url) = url {
        let dir = dead_letter_dir.map_or_else(default_dead_letter_dir, Path::to_path_buf);
        let mut webhook = WebhookSink::builder(url).dead_letter_dir(dir.clone());
        if let Some(secret) = secret {
            webhook = webhook.secret(secret);
        }
        match webhook.build() {
            Ok(sink) => {
                delivery.webhook = Some(sink);
                delivery.dead_letter_dir = Some(dir);
            }
            Err(e) => problems.extend(messages::lines(&e)),
        }
    }
    if let Some(path) = audit_log {
        match JsonLinesSink::create(path) {
            Ok(sink) => delivery.audit = Some(sink.with_name("audit-log")),
            Err(e) => problems.extend(messages::lines(&e)),
        }
    }
    if problems.is_empty() {
        Ok(delivery)
    } else {
        Err(problems)
    }
}

/// `BI_WEBHOOK_*` names nothing reads: a typo would silently drop the webhook.
fn unknown_webhook_vars() -> Vec<String> {
    let mut unknown: Vec<String> = std::env::vars_os()
        .filter_map(|(n, _)| n.into_string().ok())
        .filter(|n| n.starts_with("BI_WEBHOOK_") && n != ENV_WEBHOOK_URL && n != ENV_WEBHOOK_SECRET)
        .collect();
    unknown.sort();
    unknown
        .into_iter()
        .map(|n| {
            format!("unknown environment variable {n}; the webhook reads {ENV_WEBHOOK_URL} and {ENV_WEBHOOK_SECRET}")
        })
        .collect()
}
