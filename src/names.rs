//! Names for the ids a report shows: queue ids from `GET /api/v2/routing/queues`, skill ids
//! from `GET /api/v2/routing/skills` and user ids from `GET /api/v2/users`.
//!
//! Only the ids asked for are looked up, at most [`MAX_IDS_PER_REQUEST`] per request (each
//! as a repeated `id` parameter) and every page of an answer followed (`pageNumber` up to
//! `pageCount`). A 403 (the role lacks, say, `routing:queue:view`) is not a failure: that
//! dimension keeps its ids and one [`NamesWarning`] names the missing permission, where the
//! API documents one.
//!
//! What the official SDKs say (their generated API docs, e.g. the Python SDK's
//! `build/docs/RoutingApi.md` and `UsersApi.md` in `MyPureCloud/platform-client-sdk-python`):
//! `GET /api/v2/routing/queues` "Requires ANY permissions: routing:queue:view";
//! `GET /api/v2/routing/skills` and `GET /api/v2/users` "Requires NO permissions" (an old Java
//! SDK listed `routing:skill:manage` for skills; current ones list none). So only the queues'
//! warning names a permission; a 403 on the others says the listing was refused. All three
//! take `id` as a repeated list ("A list of user IDs to fetch by bulk") and page with
//! `pageSize` / `pageNumber`; none documents a cap on the number of ids, so
//! [`MAX_IDS_PER_REQUEST`] is an assumption (see `docs/decisions.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Result;
use crate::progress::{Progress, ProgressEvent};

/// The most `id` values sent in one request. The SDKs document no cap; 100 keeps a request's
/// URL short (100 UUIDs are about 4.4 kB of query) and matches the page size, so one batch is
/// one page.
pub const MAX_IDS_PER_REQUEST: usize = 100;
/// The page size asked for.
pub const PAGE_SIZE: usize = 100;

/// A kind of entity whose ids can be named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Directory {
    /// Queues (`queueId`), from `GET /api/v2/routing/queues`.
    Queues,
    /// Skills (`requestedRoutingSkillId`), from `GET /api/v2/routing/skills`.
    Skills,
    /// Users (`userId`), from `GET /api/v2/users`.
    Users,
}

impl Directory {
    /// Every directory.
    pub const ALL: [Directory; 3] = [Directory::Queues, Directory::Skills, Directory::Users];

    /// The directory naming the values of `dimension`, such as `queueId`; `None` for
    /// dimensions without names (`usedRouting`, `mediaType`, ...).
    ///
    /// ```
    /// use genesys_routing_eval::names::Directory;
    /// assert_eq!(Directory::for_dimension("queueId"), Some(Directory::Queues));
    /// assert_eq!(Directory::for_dimension("usedRouting"), None);
    /// ```
    pub fn for_dimension(dimension: &str) -> Option<Directory> {
        match dimension {
            "queueId" => Some(Directory::Queues),
            "requestedRoutingSkillId" | "skillId" => Some(Directory::Skills),
            "userId" | "agentId" => Some(Directory::Users),
            _ => None,
        }
    }

    /// The path of the listing, relative to the API base.
    pub fn path(self) -> &'static str {
        match self {
            Directory::Queues => "api/v2/routing/queues",
            Directory::Skills => "api/v2/routing/skills",
            Directory::Users => "api/v2/users",
        }
    }

    /// The permission the listing needs, as the official SDKs document it: `routing:queue:view`
    /// for queues; none for skills and users (their listings "Require NO permissions").
    ///
    /// ```
    /// use genesys_routing_eval::names::Directory;
    /// assert_eq!(Directory::Queues.permission(), Some("routing:queue:view"));
    /// assert_eq!(Directory::Users.permission(), None);
    /// ```
    pub fn permission(self) -> Option<&'static str> {
        match self {
            Directory::Queues => Some("routing:queue:view"),
            Directory::Skills | Directory::Users => None,
        }
    }
}

impl fmt::Display for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Directory::Queues => "queues",
            Directory::Skills => "skills",
            Directory::Users => "users",
        })
    }
}

/// Why a directory's ids stay unnamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct NamesWarning {
    /// The directory that could not be read.
    pub directory: Directory,
    /// The permission the client's role lacks, such as `routing:queue:view`; `None` (left out
    /// of JSON) for a listing the API documents no permission for (skills, users).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// The server's message.
    pub message: String,
}

impl fmt::Display for NamesWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.permission {
            Some(permission) => write!(
                f,
                "{} shown as ids: the client lacks the permission {permission} ({})",
                self.directory, self.message
            ),
            None => write!(
                f,
                "{} shown as ids: the server refused the listing with 403 ({})",
                self.directory, self.message
            ),
        }
    }
}

/// Names by id, per directory; ids that were not found have no entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Names {
    /// Queue names by queue id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub queues: BTreeMap<String, String>,
    /// Skill names by skill id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skills: BTreeMap<String, String>,
    /// User names by user id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub users: BTreeMap<String, String>,
    /// Directories left unnamed, one warning each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<NamesWarning>,
}

impl Names {
    /// The map of `directory`.
    pub fn of(&self, directory: Directory) -> &BTreeMap<String, String> {
        match directory {
            Directory::Queues => &self.queues,
            Directory::Skills => &self.skills,
            Directory::Users => &self.users,
        }
    }

    fn of_mut(&mut self, directory: Directory) -> &mut BTreeMap<String, String> {
        match directory {
            Directory::Queues => &mut self.queues,
            Directory::Skills => &mut self.skills,
            Directory::Users => &mut self.users,
        }
    }

    /// The name of `id` in `directory`, if it was resolved.
    pub fn get(&self, directory: Directory, id: &str) -> Option<&str> {
        self.of(directory).get(id).map(String::as_str)
    }

    /// The name of the value `id` of `dimension` (such as `queueId`), if it has one.
    pub fn for_dimension(&self, dimension: &str, id: &str) -> Option<&str> {
        self.get(Directory::for_dimension(dimension)?, id)
    }

    /// The name of `id` in any directory (ids are UUIDs, unique across directories).
    pub fn any(&self, id: &str) -> Option<&str> {
        Directory::ALL.into_iter().find_map(|d| self.get(d, id))
    }
}

/// Ids to resolve, per directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameRequest {
    ids: BTreeMap<Directory, BTreeSet<String>>,
}

impl NameRequest {
    /// Nothing to resolve yet.
    pub fn new() -> Self {
        NameRequest::default()
    }

    /// Adds `id` to resolve in `directory`.
    pub fn add(&mut self, directory: Directory, id: impl Into<String>) -> &mut Self {
        self.ids.entry(directory).or_default().insert(id.into());
        self
    }

    /// Adds `id`, a value of `dimension`, when that dimension has names.
    pub fn add_dimension_value(&mut self, dimension: &str, id: &str) -> &mut Self {
        if let Some(directory) = Directory::for_dimension(dimension) {
            self.add(directory, id);
        }
        self
    }

    /// Whether there is nothing to resolve.
    pub fn is_empty(&self) -> bool {
        self.ids.values().all(BTreeSet::is_empty)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EntityPage {
    #[serde(default)]
    entities: Vec<Entity>,
    #[serde(default)]
    page_count: Option<usize>,
}

#[derive(Deserialize)]
struct Entity {
    id: String,
    #[serde(default)]
    name: Option<String>,
}

/// Resolves the ids of `request` to names, reporting to `progress`.
///
/// # Errors
/// Whatever the client's request fails with, except a 403: that directory keeps its ids and
/// [`Names::warnings`] says which permission is missing (also reported as
/// [`ProgressEvent::NamesUnavailable`] and a `tracing` warning).
pub async fn resolve(client: &Client, request: &NameRequest, progress: &Progress) -> Result<Names> {
    let mut names = Names::default();
    for (&directory, ids) in &request.ids {
        if ids.is_empty() {
            continue;
        }
        let ids: Vec<&String> = ids.iter().collect();
        'batches: for batch in ids.chunks(MAX_IDS_PER_REQUEST) {
            let mut page = 1usize;
            loop {
                let mut url = client.api_url(directory.path());
                {
                    let mut query = url.query_pairs_mut();
                    query.append_pair("pageSize", &PAGE_SIZE.to_string());
                    query.append_pair("pageNumber", &page.to_string());
                    for id in batch {
                        query.append_pair("id", id);
                    }
                }
                let answer: EntityPage = match client.get_json(url, "a directory page").await {
                    Ok(answer) => answer,
                    Err(error) if error.status() == Some(403) => {
                        let warning = NamesWarning {
                            directory,
                            permission: directory.permission().map(str::to_owned),
                            message: error.message().to_owned(),
                        };
                        tracing::warn!(%warning, "names unavailable");
                        progress.emit(ProgressEvent::NamesUnavailable {
                            directory: directory.to_string(),
                            permission: warning.permission.clone(),
                        });
                        names.warnings.push(warning);
                        names.of_mut(directory).clear();
                        break 'batches;
                    }
                    Err(error) => return Err(error),
                };
                let got = answer.entities.len();
                for entity in answer.entities {
                    if let Some(name) = entity.name
                        && batch.contains(&&entity.id)
                    {
                        names.of_mut(directory).insert(entity.id, name);
                    }
                }
                let more = match answer.page_count {
                    Some(count) => page < count,
                    None => got >= PAGE_SIZE,
                };
                if !more || got == 0 {
                    break;
                }
                page += 1;
            }
        }
    }
    Ok(names)
}
