//! The library's validation problems in the operator's words: flags and environment
//! variables (`--granularity`, `GENESYS_REGION`), never builder methods; one problem a line.

use genesys_routing_eval::{Error, ErrorKind, ValidationError};

/// The flag or variable an operator sets for the library setting `name`.
fn setting(name: &str) -> &str {
    match name {
        "time_zone" => "--time-zone",
        "granularity" => "--granularity",
        "group_by" => "--group-by",
        "days" => "--days",
        "strategy" => "--strategy",
        "deadline" => "--deadline",
        "timeouts" => "--request-timeout",
        "max_jobs" => "--max-jobs",
        "api_base" => "GENESYS_API_HOST",
        "login_base" => "GENESYS_LOGIN_HOST",
        "webhook url" => "BI_WEBHOOK_URL",
        "webhook secret" => "BI_WEBHOOK_SECRET",
        "dead_letter_dir" => "--dead-letter-dir",
        "path" => "--audit-log",
        other => other,
    }
}

/// A sink's name as the operator configured it.
fn sink_setting(name: &str) -> String {
    match name {
        "webhook" => "the webhook (BI_WEBHOOK_URL)".into(),
        "audit-log" => "the audit log (--audit-log)".into(),
        other => other.into(),
    }
}

/// One problem, in the operator's words.
pub fn describe(problem: &ValidationError) -> String {
    match problem {
        ValidationError::Missing { name, hint } => match name.as_str() {
            "region or api_base" => "GENESYS_REGION or GENESYS_API_HOST is required; set GENESYS_REGION (such as eu_west_1) or GENESYS_API_HOST (such as https://api.mypurecloud.ie), or pass --emulator for synthetic data".into(),
            "client id" => "GENESYS_CLIENT_ID is required; set it to the OAuth client's id".into(),
            "client secret" => "GENESYS_CLIENT_SECRET is required; set it to the OAuth client's secret".into(),
            other => format!("{} is required; {hint}", setting(other)),
        },
        ValidationError::Invalid { name, reason } => {
            format!("{} is invalid: {reason}", setting(name))
        }
        ValidationError::WindowOrder { from, to } => {
            format!("--from {from} is not before --to {to}; swap them or widen the window")
        }
        ValidationError::WindowInFuture { to, now } => {
            format!("--to {to} is in the future (now is {now}); end the window at or before now")
        }
        ValidationError::OverBudget {
            jobs,
            requests,
            max_jobs,
        } => format!(
            "the window needs {jobs} jobs (about {requests} requests), more than the budget of {max_jobs}; shorten --days or --from/--to, or pass --max-jobs {jobs}"
        ),
        ValidationError::UnsupportedGroupBy {
            value, supported, ..
        } => format!("--group-by `{value}` is not a dimension Genesys knows; use {supported}"),
        ValidationError::NoStrategies { source_name } => {
            format!("--source {source_name} needs at least one --strategy ID")
        }
        ValidationError::WindowTooLong {
            days,
            max_days,
            source_name,
        } => format!(
            "a window of {days} days exceeds the {source_name} source's {max_days}-day limit; shorten --days or use --source aggregates"
        ),
        ValidationError::EmulatorData { sinks } => {
            let sinks: Vec<String> = sinks.split(", ").map(sink_setting).collect();
            format!(
                "refusing to send emulator data to {}: it is synthetic; pass --emulator to allow it, or set GENESYS_* to evaluate a real organisation",
                sinks.join(" and ")
            )
        }
        other => other.to_string(),
    }
}

/// Every line to print for `error`: one per validation problem, else its one-line message.
pub fn lines(error: &Error) -> Vec<String> {
    if error.kind() == ErrorKind::Config && !error.validation().is_empty() {
        error.validation().iter().map(describe).collect()
    } else {
        vec![error.to_string()]
    }
}
