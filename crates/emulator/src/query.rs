//! The aggregation query, checked as the real API checks it: every problem is collected.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};

use std::sync::Arc;

use super::errors::Problem;
use super::period::{Period, parse_interval};
use super::shape::{Selection, parse_selection};
use super::views::{View, parse_views};

/// Metric names the real API knows (from the official SDK's models).
pub(crate) const KNOWN_METRICS: &[&str] = &[
    "nAgentDeclined",
    "nAlertExpired",
    "nBlindTransferred",
    "nBotInteractions",
    "nCallbackAttempts",
    "nCallbackOverSla",
    "nCallbackScheduled",
    "nCfcOffered",
    "nCobrowseSessions",
    "nConnected",
    "nConsult",
    "nConsultTransferred",
    "nConversations",
    "nError",
    "nOffered",
    "nOutbound",
    "nOutboundAbandoned",
    "nOutboundAttempted",
    "nOutboundConnected",
    "nOverSla",
    "nStateTransitionError",
    "nTakeover",
    "nTransferred",
    "oAudioMessageCount",
    "oCallbackServiceLevel",
    "oExternalAudioMessageCount",
    "oExternalMediaCount",
    "oMediaCount",
    "oMessageCount",
    "oMessageSegmentCount",
    "oMessageTurn",
    "oServiceLevel",
    "oServiceTarget",
    "oSkillExpressionApplications",
    "tAbandon",
    "tAcd",
    "tActiveCallback",
    "tActiveCallbackComplete",
    "tAcw",
    "tAgentResponseTime",
    "tAgentVideoConnected",
    "tAlert",
    "tAnswered",
    "tAverageAgentResponseTime",
    "tAverageCustomerResponseTime",
    "tBarging",
    "tCallbackAbandon",
    "tCallbackConnect",
    "tCallbackNotReached",
    "tCallbackVirtualWait",
    "tCfcAbandon",
    "tCfcAcd",
    "tCfcAnswered",
    "tCfcFlowOut",
    "tCoaching",
    "tCoachingComplete",
    "tConnected",
    "tContacting",
    "tDialing",
    "tFirstConnect",
    "tFirstDial",
    "tFirstEngagement",
    "tFirstResponse",
    "tFlowOut",
    "tHandle",
    "tHeld",
    "tHeldComplete",
    "tIvr",
    "tMonitoring",
    "tMonitoringComplete",
    "tNotResponding",
    "tPark",
    "tParkComplete",
    "tScreenMonitoring",
    "tShortAbandon",
    "tSnippetRecord",
    "tTalk",
    "tTalkComplete",
    "tTransmitting",
    "tUserResponseTime",
    "tVoicemail",
    "tWait",
];

/// Dimension names the real API knows for conversation aggregates: the SDK's list (the
/// `groupBy` enum of the official SDK's models), so the two sides cannot drift apart.
pub(crate) use genesys_routing_eval::sources::aggregates::CONVERSATION_DIMENSIONS as KNOWN_DIMENSIONS;

/// The finest granularity the emulator's data has.
pub(crate) const SLOT_SECONDS: u64 = 900;

/// Most buckets one query may ask for, so a careless query cannot exhaust memory.
const MAX_BUCKETS: u64 = 10_000;

/// A checked aggregation query.
#[derive(Debug, Clone)]
pub(crate) struct AggregationQuery {
    pub(crate) start: DateTime<Utc>,
    pub(crate) end: DateTime<Utc>,
    pub(crate) granularity: Option<Period>,
    pub(crate) zone: Tz,
    pub(crate) group_by: Vec<String>,
    pub(crate) filter: Option<Filter>,
    pub(crate) metrics: Vec<String>,
    pub(crate) page_size: Option<usize>,
    /// The `rangeBound` views, empty when the query has none.
    pub(crate) views: Arc<[View]>,
    /// Every group, or the `topN` / `bottomN` of them.
    pub(crate) selection: Selection,
}

/// The fields of an aggregation query (the official SDKs' `ConversationAggregationQuery`);
/// `pageSize` is added for jobs. Any other field is refused, not ignored.
const QUERY_FIELDS: &[&str] = &[
    "interval",
    "granularity",
    "timeZone",
    "groupBy",
    "filter",
    "metrics",
    "flattenMultivaluedDimensions",
    "views",
    "alternateTimeDimension",
    "queryType",
    "sortMetric",
    "limit",
];

/// Genesys splits every answer by media type: `group` always names the `mediaType`.
const IMPLICIT_DIMENSION: &str = "mediaType";

/// A filter: `and`/`or` over clauses and predicates.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    pub(crate) any: bool,
    pub(crate) clauses: Vec<Clause>,
    pub(crate) predicates: Vec<Predicate>,
}

/// A clause: `and`/`or` over predicates.
#[derive(Debug, Clone)]
pub(crate) struct Clause {
    pub(crate) any: bool,
    pub(crate) predicates: Vec<Predicate>,
}

/// One dimension predicate.
#[derive(Debug, Clone)]
pub(crate) struct Predicate {
    pub(crate) dimension: String,
    pub(crate) test: Test,
}

/// What a predicate tests.
#[derive(Debug, Clone)]
pub(crate) enum Test {
    Matches(String),
    Exists,
    NotExists,
}

impl Predicate {
    fn holds(&self, value_of: &dyn Fn(&str) -> Option<String>) -> bool {
        let value = value_of(&self.dimension);
        match &self.test {
            Test::Matches(expected) => value.as_deref() == Some(expected.as_str()),
            Test::Exists => value.is_some(),
            Test::NotExists => value.is_none(),
        }
    }
}

fn combine(any: bool, mut results: impl Iterator<Item = bool>) -> bool {
    if any {
        results.any(|r| r)
    } else {
        results.all(|r| r)
    }
}

impl Filter {
    /// Whether a conversation whose dimensions `value_of` gives passes the filter.
    pub(crate) fn admits(&self, value_of: &dyn Fn(&str) -> Option<String>) -> bool {
        let clauses = self
            .clauses
            .iter()
            .map(|c| combine(c.any, c.predicates.iter().map(|p| p.holds(value_of))));
        let predicates = self.predicates.iter().map(|p| p.holds(value_of));
        combine(self.any, clauses.chain(predicates))
    }
}

/// Checks a query body; `jobs` allows `pageSize`.
///
/// # Errors
/// Every problem found.
pub(crate) fn parse(body: &Value, jobs: bool) -> Result<AggregationQuery, Vec<Problem>> {
    let mut problems = Vec::new();
    let Some(obj) = body.as_object() else {
        return Err(vec![Problem {
            field: None,
            message: "The request body must be a JSON object (an aggregation query).".into(),
        }]);
    };
    let interval = match obj.get("interval") {
        None | Some(Value::Null) => {
            problems.push(Problem::field("interval", "interval is required: give ISO-8601 start/end, e.g. 2024-05-01T00:00:00.000Z/2024-05-08T00:00:00.000Z"));
            None
        }
        Some(Value::String(text)) => match parse_interval(text) {
            Ok(pair) => Some(pair),
            Err(message) => {
                problems.push(Problem::field("interval", message));
                None
            }
        },
        Some(_) => {
            problems.push(Problem::field("interval", "interval must be a string"));
            None
        }
    };
    check_fields(obj, jobs, &mut problems);
    let views: Arc<[View]> = parse_views(obj, &mut problems).into();
    let metrics = parse_metrics(obj, !views.is_empty(), &mut problems);
    let selection = parse_selection(obj, &metrics, &mut problems);
    let zone = parse_zone(obj, &mut problems);
    let granularity = parse_granularity(obj, &mut problems);
    let mut group_by = parse_group_by(obj, &mut problems);
    if !group_by.iter().any(|d| d == IMPLICIT_DIMENSION) {
        group_by.push(IMPLICIT_DIMENSION.to_owned());
    }
    check_no_op_fields(obj, &mut problems);
    let filter = match obj.get("filter") {
        None | Some(Value::Null) => None,
        Some(value) => parse_filter(value, &mut problems),
    };
    let page_size = if jobs {
        parse_page_size(obj, &mut problems)
    } else {
        None
    };
    if let (Some((start, end)), Some(period)) = (interval, granularity) {
        check_bucket_count(start, end, period, &mut problems);
    }
    match (interval, problems.is_empty()) {
        (Some((start, end)), true) => Ok(AggregationQuery {
            start,
            end,
            granularity,
            zone,
            group_by,
            filter,
            metrics,
            page_size,
            views,
            selection,
        }),
        _ => Err(problems),
    }
}

/// Refuses fields the query does not have, and `pageSize` outside jobs.
fn check_fields(obj: &Map<String, Value>, jobs: bool, problems: &mut Vec<Problem>) {
    for key in obj.keys() {
        if key == "pageSize" {
            if !jobs && !obj[key].is_null() {
                problems.push(Problem::field(
                    "pageSize",
                    "pageSize applies only to aggregates jobs; the synchronous query answers every group at once",
                ));
            }
        } else if !QUERY_FIELDS.contains(&key.as_str()) {
            problems.push(Problem::field(
                key,
                format!("Unknown field `{key}`: an aggregation query has no such field"),
            ));
        }
    }
}

/// Fields that change nothing in the emulator's answers, accepted only with values whose
/// effect is exactly what the emulator does anyway:
/// - `flattenMultivaluedDimensions`: every dimension value the emulator has is single, so
///   flattening leaves the groups as they are;
/// - `alternateTimeDimension` `eventTime`: the emulator already puts each metric at the time of
///   its own event (a call's `tHandle` at the end of its wrap-up).
fn check_no_op_fields(obj: &Map<String, Value>, problems: &mut Vec<Problem>) {
    match obj.get("flattenMultivaluedDimensions") {
        None | Some(Value::Null | Value::Bool(_)) => {}
        Some(_) => problems.push(Problem::field(
            "flattenMultivaluedDimensions",
            "flattenMultivaluedDimensions must be true or false",
        )),
    }
    match obj.get("alternateTimeDimension") {
        None | Some(Value::Null) => {}
        Some(Value::String(t)) if t == "eventTime" => {}
        Some(other) => problems.push(Problem::field(
            "alternateTimeDimension",
            format!("Unsupported alternateTimeDimension {other}: the only one is eventTime"),
        )),
    }
}

fn parse_metrics(
    obj: &Map<String, Value>,
    has_views: bool,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let list = match obj.get("metrics") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        // Views can be the only data a query asks for.
        Some(Value::Array(_)) if has_views => return Vec::new(),
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            problems.push(Problem::field(
                "metrics",
                "metrics is required: name at least one metric, e.g. nOffered",
            ));
            return Vec::new();
        }
        Some(_) => {
            problems.push(Problem::field("metrics", "metrics must be a list of names"));
            return Vec::new();
        }
    };
    let mut metrics = Vec::new();
    for item in list {
        match item.as_str() {
            Some(name) if KNOWN_METRICS.contains(&name) => {
                if !metrics.iter().any(|m| m == name) {
                    metrics.push(name.to_owned());
                }
            }
            Some(name) => problems.push(Problem::field(
                "metrics",
                format!("Unknown metric `{name}`"),
            )),
            None => problems.push(Problem::field("metrics", "metrics must be a list of names")),
        }
    }
    metrics
}

fn parse_zone(obj: &Map<String, Value>, problems: &mut Vec<Problem>) -> Tz {
    match obj.get("timeZone") {
        None | Some(Value::Null) => Tz::UTC,
        Some(Value::String(name)) => name.parse::<Tz>().unwrap_or_else(|_| {
            problems.push(Problem::field(
                "timeZone",
                format!(
                    "Unknown timeZone `{name}`: give an IANA time zone name such as Europe/Paris"
                ),
            ));
            Tz::UTC
        }),
        Some(_) => {
            problems.push(Problem::field("timeZone", "timeZone must be a string"));
            Tz::UTC
        }
    }
}

fn parse_granularity(obj: &Map<String, Value>, problems: &mut Vec<Problem>) -> Option<Period> {
    let text = match obj.get("granularity") {
        None | Some(Value::Null) => return None,
        Some(Value::String(text)) => text,
        Some(_) => {
            problems.push(Problem::field(
                "granularity",
                "granularity must be a string",
            ));
            return None;
        }
    };
    match Period::parse(text) {
        Some(p) if p.shorter_than(SLOT_SECONDS) || p.seconds % SLOT_SECONDS != 0 => {
            problems.push(Problem::field(
                "granularity",
                format!("Unsupported granularity `{text}`: use a multiple of PT15M, e.g. PT30M, PT1H or P1D"),
            ));
            None
        }
        Some(p) => Some(p),
        None => {
            problems.push(Problem::field(
                "granularity",
                format!(
                    "Invalid granularity `{text}`: expected an ISO-8601 period such as P1D or PT30M"
                ),
            ));
            None
        }
    }
}

fn check_bucket_count(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    period: Period,
    problems: &mut Vec<Problem>,
) {
    // The shortest a bucket can be: a day may lose an hour to daylight saving.
    let shortest = period.seconds + period.days * 82_800 + u64::from(period.months) * 27 * 86_400;
    let span = (end - start).num_seconds().max(0) as u64;
    if span / shortest.max(1) > MAX_BUCKETS {
        problems.push(Problem::field(
            "granularity",
            format!("Too many buckets: the interval divided by the granularity exceeds {MAX_BUCKETS}; use a coarser granularity or a shorter interval"),
        ));
    }
}

fn parse_group_by(obj: &Map<String, Value>, problems: &mut Vec<Problem>) -> Vec<String> {
    let list = match obj.get("groupBy") {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            problems.push(Problem::field(
                "groupBy",
                "groupBy must be a list of dimension names",
            ));
            return Vec::new();
        }
    };
    let mut dims = Vec::new();
    for item in list {
        match item.as_str() {
            Some(name) if KNOWN_DIMENSIONS.contains(&name) => dims.push(name.to_owned()),
            Some(name) => problems.push(Problem::field(
                "groupBy",
                format!("Unknown groupBy dimension `{name}`"),
            )),
            None => problems.push(Problem::field(
                "groupBy",
                "groupBy must be a list of dimension names",
            )),
        }
    }
    dims
}

fn parse_page_size(obj: &Map<String, Value>, problems: &mut Vec<Problem>) -> Option<usize> {
    match obj.get("pageSize") {
        None | Some(Value::Null) => None,
        Some(value) => match value.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                problems.push(Problem::field(
                    "pageSize",
                    "pageSize must be a positive integer",
                ));
                None
            }
        },
    }
}

fn parse_any(value: Option<&Value>, field: &str, problems: &mut Vec<Problem>) -> bool {
    match value.and_then(Value::as_str) {
        Some("and") => false,
        Some("or") => true,
        _ => {
            problems.push(Problem::field(
                field,
                format!("{field} must be \"and\" or \"or\""),
            ));
            false
        }
    }
}

fn parse_filter(value: &Value, problems: &mut Vec<Problem>) -> Option<Filter> {
    let Some(obj) = value.as_object() else {
        problems.push(Problem::field(
            "filter",
            "filter must be an object with type and clauses or predicates",
        ));
        return None;
    };
    only_fields(obj, "filter", &["type", "clauses", "predicates"], problems);
    let any = parse_any(obj.get("type"), "filter.type", problems);
    let mut clauses = Vec::new();
    for (i, clause) in list(obj.get("clauses"), "filter.clauses", problems)
        .iter()
        .enumerate()
    {
        let field = format!("filter.clauses[{i}]");
        let Some(c) = clause.as_object() else {
            problems.push(Problem::field(&field, format!("{field} must be an object")));
            continue;
        };
        only_fields(c, &field, &["type", "predicates"], problems);
        let c_any = parse_any(c.get("type"), &format!("{field}.type"), problems);
        let predicates = parse_predicates(
            c.get("predicates"),
            &format!("{field}.predicates"),
            problems,
        );
        clauses.push(Clause {
            any: c_any,
            predicates,
        });
    }
    let predicates = parse_predicates(obj.get("predicates"), "filter.predicates", problems);
    if clauses.is_empty() && predicates.is_empty() {
        problems.push(Problem::field(
            "filter",
            "filter needs at least one clause or predicate",
        ));
    }
    Some(Filter {
        any,
        clauses,
        predicates,
    })
}

/// Refuses keys the emulator would otherwise ignore (a predicate's `range`, a misspelt field).
fn only_fields(
    obj: &Map<String, Value>,
    here: &str,
    allowed: &[&str],
    problems: &mut Vec<Problem>,
) {
    for key in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
        problems.push(Problem::field(
            here,
            format!(
                "{here}: field `{key}` is not supported by the emulator; use {}",
                allowed.join(", ")
            ),
        ));
    }
}

fn list<'a>(value: Option<&'a Value>, field: &str, problems: &mut Vec<Problem>) -> &'a [Value] {
    match value {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push(Problem::field(field, format!("{field} must be a list")));
            &[]
        }
    }
}

fn parse_predicates(
    value: Option<&Value>,
    field: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Predicate> {
    let mut out = Vec::new();
    for (i, item) in list(value, field, problems).iter().enumerate() {
        let here = format!("{field}[{i}]");
        if let Some(p) = parse_predicate(item, &here, problems) {
            out.push(p);
        }
    }
    out
}

fn parse_predicate(item: &Value, here: &str, problems: &mut Vec<Problem>) -> Option<Predicate> {
    let Some(p) = item.as_object() else {
        problems.push(Problem::field(here, format!("{here} must be an object")));
        return None;
    };
    only_fields(
        p,
        here,
        &["type", "dimension", "operator", "value"],
        problems,
    );
    match p.get("type").and_then(Value::as_str) {
        None | Some("dimension") => {}
        Some(other) => {
            problems.push(Problem::field(
                here,
                format!("{here}: predicate type `{other}` is not supported by the emulator; use dimension predicates"),
            ));
            return None;
        }
    }
    let dimension = match p.get("dimension").and_then(Value::as_str) {
        Some(d) if KNOWN_DIMENSIONS.contains(&d) => d.to_owned(),
        Some(d) => {
            problems.push(Problem::field(
                here,
                format!("{here}: unknown dimension `{d}`"),
            ));
            return None;
        }
        None => {
            problems.push(Problem::field(
                here,
                format!("{here}: dimension is required"),
            ));
            return None;
        }
    };
    let value = p.get("value").and_then(Value::as_str);
    let test = match (p.get("operator").and_then(Value::as_str), value) {
        (None | Some("matches"), Some(v)) => Test::Matches(v.to_owned()),
        (None | Some("matches"), None) => {
            problems.push(Problem::field(
                here,
                format!("{here}: value is required for operator matches"),
            ));
            return None;
        }
        (Some("exists"), _) => Test::Exists,
        (Some("notExists"), _) => Test::NotExists,
        (Some(other), _) => {
            problems.push(Problem::field(
                here,
                format!("{here}: unknown operator `{other}`; use matches, exists or notExists"),
            ));
            return None;
        }
    };
    Some(Predicate { dimension, test })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_problem() {
        let problems = parse(
            &json!({"interval": "yesterday", "metrics": ["nOffered", "nBogus"], "granularity": "daily", "groupBy": ["color"]}),
            true,
        )
        .unwrap_err();
        let fields: Vec<_> = problems.iter().filter_map(|p| p.field.as_deref()).collect();
        assert_eq!(fields, ["interval", "metrics", "granularity", "groupBy"]);
    }

    #[test]
    fn filter_combines_clauses_and_predicates() {
        let q = parse(
            &json!({
                "interval": "2024-05-01T00:00:00Z/2024-05-02T00:00:00Z",
                "metrics": ["nOffered"],
                "filter": {"type": "and",
                    "clauses": [{"type": "or", "predicates": [
                        {"dimension": "usedRouting", "value": "Bullseye"},
                        {"dimension": "usedRouting", "value": "Standard"}]}],
                    "predicates": [{"dimension": "queueId", "operator": "exists"}]}
            }),
            true,
        )
        .unwrap();
        let filter = q.filter.unwrap();
        let of = |routing: Option<&str>| {
            let routing = routing.map(str::to_owned);
            move |d: &str| match d {
                "usedRouting" => routing.clone(),
                "queueId" => Some("q".to_owned()),
                _ => None,
            }
        };
        assert!(filter.admits(&of(Some("Standard"))));
        assert!(!filter.admits(&of(Some("Predictive"))));
        assert!(!filter.admits(&of(None)));
    }
}
