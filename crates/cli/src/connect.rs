//! Which data `evaluate` reads: a Genesys Cloud organisation from the `GENESYS_*` variables,
//! or the embedded emulator, explicitly (`--emulator`) or implicitly when the environment
//! holds no `GENESYS_*` and no `BI_WEBHOOK_*` variable at all.

use genesys_routing_eval::ClientBuilder;
use routing_eval_emulator::{self as emulator, Emulator};

/// Where the client points, and the emulator to keep alive while it is used.
pub struct Connection {
    /// The client's settings; the caller adds timeouts and builds it.
    pub client: ClientBuilder,
    /// The emulator serving the data, if any: held, never read, because dropping it stops it.
    #[expect(dead_code, reason = "held only to keep the emulator serving")]
    pub emulator: Option<Emulator>,
    /// Whether `--emulator` asked for it (then emulator data may reach every sink).
    pub explicit: bool,
    /// Lines for stderr once the settings are known good (so that a usage error prints alone).
    pub notes: Vec<String>,
}

/// Chooses the data source. With `--emulator`, `GENESYS_*` variables are ignored, and a note
/// says so: the run is synthetic and every output is marked as such.
///
/// # Errors
/// When the emulator cannot start.
pub async fn connect(wants_emulator: bool) -> genesys_routing_eval::Result<Connection> {
    let configured =
        emulator::configured_names(std::env::vars_os().filter_map(|(n, _)| n.into_string().ok()));
    if !wants_emulator && !configured.is_empty() {
        return Ok(Connection {
            client: ClientBuilder::from_env(),
            emulator: None,
            explicit: false,
            notes: Vec::new(),
        });
    }
    let ignored: Vec<&str> = configured
        .iter()
        .map(String::as_str)
        .filter(|n| n.starts_with("GENESYS_"))
        .collect();
    let mut notes = Vec::new();
    if !ignored.is_empty() {
        notes.push(format!(
            "--emulator: ignoring {} (synthetic data, no request to Genesys Cloud)",
            ignored.join(", ")
        ));
    }
    let emulator = Emulator::start().await?;
    let how = if wants_emulator {
        "--emulator"
    } else {
        "no GENESYS_* or BI_WEBHOOK_* settings"
    };
    notes.push(format!(
        "{how}; running against the embedded emulator at {} (synthetic data)",
        emulator.base_url()
    ));
    Ok(Connection {
        client: emulator.client_builder(),
        emulator: Some(emulator),
        explicit: wants_emulator,
        notes,
    })
}
