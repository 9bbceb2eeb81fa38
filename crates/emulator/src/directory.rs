//! The directory endpoints a report resolves names from: `GET /api/v2/routing/queues`,
//! `GET /api/v2/routing/skills` and `GET /api/v2/users`, with Genesys's paging shape
//! (`entities`, `pageSize`, `pageNumber`, `total`, `pageCount`) and filtering by repeated
//! `id` parameters.
//!
//! Queue names come from the scenario; skills and agents have no name there, so they are
//! named deterministically in order of first appearance (`Skill 01`, `Agent 01`, ...).
//! A permission denied with [`crate::EmulatorBuilder::deny_permission`] answers 403
//! `missing.permissions`, as Genesys does.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::{ApiError, Problem};
use super::scenario::Scenario;
use super::state::State;

/// The permission the queues listing needs, as the official SDKs document it.
pub const QUEUES_PERMISSION: &str = "routing:queue:view";
/// The name under which [`crate::EmulatorBuilder::deny_permission`] refuses the skills listing.
/// Genesys documents no permission for `GET /api/v2/routing/skills` (the SDKs: "Requires NO
/// permissions"), so the client's warning names none; this only scripts a 403.
pub const SKILLS_PERMISSION: &str = "routing:skill:view";
/// The name under which [`crate::EmulatorBuilder::deny_permission`] refuses the users listing
/// (Genesys documents no permission for `GET /api/v2/users`; as for skills, a scripted 403).
pub const USERS_PERMISSION: &str = "directory:user:view";

/// The most entities one page holds.
const MAX_PAGE_SIZE: usize = 500;
/// The most `id` values one request may carry.
pub const MAX_IDS: usize = 100;

/// `(id, name)` for every queue, skill and agent of `scenario`, in a stable order.
pub(crate) fn entries(scenario: &Scenario, kind: Kind) -> Vec<(String, String)> {
    match kind {
        Kind::Queues => scenario
            .queues
            .iter()
            .map(|q| (q.id.clone(), q.name.clone()))
            .collect(),
        Kind::Skills | Kind::Users => {
            let mut seen: BTreeMap<String, usize> = BTreeMap::new();
            let mut order = Vec::new();
            for queue in &scenario.queues {
                let ids: Vec<&String> = match kind {
                    Kind::Skills => queue.skills.iter().map(|s| &s.id).collect(),
                    _ => queue.agents.iter().collect(),
                };
                for id in ids {
                    if !seen.contains_key(id) {
                        seen.insert(id.clone(), order.len());
                        order.push(id.clone());
                    }
                }
            }
            let label = if kind == Kind::Skills {
                "Skill"
            } else {
                "Agent"
            };
            order
                .into_iter()
                .enumerate()
                .map(|(i, id)| (id, format!("{label} {:02}", i + 1)))
                .collect()
        }
    }
}

/// Which listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Queues,
    Skills,
    Users,
}

impl Kind {
    fn permission(self) -> &'static str {
        match self {
            Kind::Queues => QUEUES_PERMISSION,
            Kind::Skills => SKILLS_PERMISSION,
            Kind::Users => USERS_PERMISSION,
        }
    }
}

pub(crate) async fn queues(state: AxumState<Arc<State>>, query: RawQuery) -> Response {
    listing(&state, query, Kind::Queues)
}

pub(crate) async fn skills(state: AxumState<Arc<State>>, query: RawQuery) -> Response {
    listing(&state, query, Kind::Skills)
}

pub(crate) async fn users(state: AxumState<Arc<State>>, query: RawQuery) -> Response {
    listing(&state, query, Kind::Users)
}

fn listing(state: &State, RawQuery(query): RawQuery, kind: Kind) -> Response {
    let permission = kind.permission();
    if state
        .settings
        .denied_permissions
        .iter()
        .any(|p| p == permission)
    {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "missing.permissions",
            format!("You are missing the following permission(s): {permission}"),
        )
        .into_response();
    }
    let mut ids = Vec::new();
    let mut page_size = 25usize;
    let mut page_number = 1usize;
    let mut problems = Vec::new();
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "id" => ids.extend(
                value
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            ),
            "pageSize" => match value.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => page_size = n,
                _ => problems.push(Problem::field(
                    "pageSize",
                    format!("pageSize must be 1 to {MAX_PAGE_SIZE}"),
                )),
            },
            "pageNumber" => match value.parse::<usize>() {
                Ok(n) if n >= 1 => page_number = n,
                _ => problems.push(Problem::field("pageNumber", "pageNumber must be 1 or more")),
            },
            _ => {}
        }
    }
    if ids.len() > MAX_IDS {
        problems.push(Problem::field(
            "id",
            format!("at most {MAX_IDS} ids per request, got {}", ids.len()),
        ));
    }
    if !problems.is_empty() {
        return ApiError::bad_request(problems).into_response();
    }
    let page_size = page_size.min(state.settings.directory_page_size);
    state.count(|s| s.directory_pages += 1);
    let all = entries(&state.settings.scenario, kind);
    let matching: Vec<&(String, String)> = if ids.is_empty() {
        all.iter().collect()
    } else {
        all.iter().filter(|(id, _)| ids.contains(id)).collect()
    };
    let total = matching.len();
    let page_count = total.div_ceil(page_size);
    let entities: Vec<Value> = matching
        .into_iter()
        .skip((page_number - 1) * page_size)
        .take(page_size)
        .map(|(id, name)| json!({ "id": id, "name": name, "selfUri": self_uri(kind, id) }))
        .collect();
    Json(json!({
        "entities": entities,
        "pageSize": page_size,
        "pageNumber": page_number,
        "total": total,
        "pageCount": page_count,
    }))
    .into_response()
}

fn self_uri(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Queues => format!("/api/v2/routing/queues/{id}"),
        Kind::Skills => format!("/api/v2/routing/skills/{id}"),
        Kind::Users => format!("/api/v2/users/{id}"),
    }
}
