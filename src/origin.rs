//! Where an evaluation's data comes from: a Genesys Cloud organisation, or the embedded
//! emulator's synthetic figures.
//!
//! A [`Client`](crate::Client) knows its origin (clients made by the emulator say
//! [`DataOrigin::Emulator`]); every report and audit record carries it as `dataOrigin`, and an
//! evaluation refuses to hand emulator data to a sink that leaves the process (a webhook, a
//! file) unless allowed with
//! [`EvaluationBuilder::allow_emulator_data`](crate::evaluation::EvaluationBuilder::allow_emulator_data).

use serde::{Deserialize, Serialize};

/// Where the figures of a report come from.
///
/// Serialised in lower case: `"genesys"` or `"emulator"`.
///
/// # Example
/// ```
/// use genesys_routing_eval::DataOrigin;
/// assert_eq!(serde_json::to_string(&DataOrigin::Emulator).unwrap(), "\"emulator\"");
/// assert_eq!(DataOrigin::default(), DataOrigin::Genesys);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DataOrigin {
    /// A Genesys Cloud organisation (the default for every client not made by the emulator).
    #[default]
    Genesys,
    /// The embedded emulator: synthetic, deterministic data, never a real contact centre's.
    Emulator,
}

impl DataOrigin {
    /// The name used in reports: `genesys` or `emulator`.
    pub fn name(self) -> &'static str {
        match self {
            DataOrigin::Genesys => "genesys",
            DataOrigin::Emulator => "emulator",
        }
    }

    /// Whether the data is synthetic.
    pub fn is_emulator(self) -> bool {
        self == DataOrigin::Emulator
    }
}

impl std::fmt::Display for DataOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
