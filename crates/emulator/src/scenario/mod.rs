//! Scenarios: the contact centre the emulator serves, as data.
//!
//! A [`Scenario`] names the queues (volume curves, base performance, skills, agents, media
//! types), how each queue routes (a concurrent split or a time-sliced test), what each routing
//! method does relative to Standard, and the fallbacks. It is read from JSON
//! ([`Scenario::from_json`], [`Scenario::from_path`]) with every problem reported at its path,
//! or built in ([`Scenario::default_centre`]). The generator draws conversations from it per
//! queue and 15-minute slot, so the data is deterministic from the seed and additive across
//! any split of a window. See `docs/emulator.md` for the format.

mod default;
pub(crate) mod generate;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The baseline every method effect is relative to.
pub const BASELINE: &str = "Standard";

/// A whole contact centre: curves, method effects, wrap-up codes and queues.
///
/// # Example
/// ```
/// use routing_eval_emulator::Scenario;
/// let scenario = Scenario::default_centre();
/// assert!(scenario.queues.len() >= 20);
/// let again = Scenario::from_json(&serde_json::to_string(&scenario).unwrap()).unwrap();
/// assert_eq!(scenario, again);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Scenario {
    /// A short name, shown by `routing-eval emulate`.
    pub name: String,
    /// What the scenario is for.
    #[serde(default)]
    pub description: String,
    /// Named volume curves the queues refer to.
    pub curves: Curves,
    /// Per routing method, its effect relative to Standard (absent: no effect).
    #[serde(default)]
    pub methods: BTreeMap<String, MethodEffect>,
    /// Wrap-up codes drawn for answered conversations, with relative weights (empty: none).
    #[serde(default)]
    pub wrap_up_codes: Vec<Weighted>,
    /// The queues.
    pub queues: Vec<QueueSpec>,
}

/// Named curves: relative volume by UTC hour of day and by day of week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Curves {
    /// 24 relative weights, hour 0 to 23 (UTC); normalised, so only their ratios matter.
    pub hourly: BTreeMap<String, Vec<f64>>,
    /// 7 factors, Monday to Sunday, multiplying the queue's `dailyVolume`.
    pub weekly: BTreeMap<String, Vec<f64>>,
}

/// What a routing method changes relative to Standard on the same queue.
///
/// `speedOfAnswer` and `handleTime` are relative (-0.15: 15% shorter); `abandon`,
/// `serviceLevel` and `transfer` are differences of probability (-0.02: two points fewer
/// abandons).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct MethodEffect {
    /// Relative change of the mean speed of answer.
    #[serde(default)]
    pub speed_of_answer: f64,
    /// Relative change of the mean handle time.
    #[serde(default)]
    pub handle_time: f64,
    /// Change of the probability that a routed conversation is abandoned.
    #[serde(default)]
    pub abandon: f64,
    /// Change of the service level (share of the service-level denominator met).
    #[serde(default)]
    pub service_level: f64,
    /// Change of the probability that an answered conversation is transferred.
    #[serde(default)]
    pub transfer: f64,
}

/// An id with a relative weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Weighted {
    /// The id (a skill id, a wrap-up code id).
    pub id: String,
    /// Relative weight, > 0.
    pub weight: f64,
}

/// One queue and how it routes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct QueueSpec {
    /// `queueId`.
    pub id: String,
    /// A display name.
    pub name: String,
    /// `divisionId`.
    pub division_id: String,
    /// `mediaType` values and their shares of the volume (summing to 1).
    pub media_types: BTreeMap<String, f64>,
    /// Expected conversations offered on a day whose weekly factor is 1.
    pub daily_volume: f64,
    /// Name of a `curves.hourly` entry.
    pub hourly_curve: String,
    /// Name of a `curves.weekly` entry.
    pub weekly_curve: String,
    /// Probability that a conversation is abandoned before routing: no `usedRouting`,
    /// `requestedRouting`, skill or agent.
    pub abandon_before_routing: f64,
    /// Under Standard: probability that a routed conversation is abandoned.
    pub abandon: f64,
    /// Under Standard: mean speed of answer, seconds.
    pub speed_of_answer_secs: f64,
    /// Under Standard: mean handle time (talk, hold and wrap-up), seconds.
    pub handle_time_secs: f64,
    /// Answers within this many seconds meet the service level.
    pub service_level_secs: f64,
    /// The service-level goal, sent as `oServiceLevel.stats.target`.
    pub service_level_target: f64,
    /// Under Standard: the service level reached (met over answered plus abandons of 10 s
    /// or more).
    pub service_level: f64,
    /// Under Standard: probability that an answered conversation is transferred.
    pub transfer: f64,
    /// `requestedRoutingSkillId` values with relative weights (at least one).
    pub skills: Vec<Weighted>,
    /// `userId` values of the agents answering (at least one; an agent may serve several
    /// queues).
    pub agents: Vec<String>,
    /// How the queue's conversations are assigned a routing method.
    pub routing: Deployment,
    /// Shares of a method's conversations delivered by another (`requestedRouting` keeps
    /// the method asked for, `usedRouting` says what delivered them).
    #[serde(default)]
    pub fallbacks: Vec<Fallback>,
}

/// A queue's routing deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub enum Deployment {
    /// Every conversation draws its method at random with these shares (summing to 1).
    Split {
        /// Method name to share of the queue's routed conversations.
        shares: BTreeMap<String, f64>,
    },
    /// Genesys Predictive Routing's comparison test: hourly slices (UTC) alternate between
    /// `treatment` and `baseline`, swapping on alternate days. With `treatmentShare` 0.5 the
    /// baseline has hour `h` of day `d` when `(h + d)` is even; with 0.8, when `(h + d)` is a
    /// multiple of 5 (`d` counts days since 1970-01-01).
    #[serde(rename_all = "camelCase")]
    TimeSliced {
        /// The method tested (usually Predictive).
        treatment: String,
        /// The method it is compared with (usually Standard).
        baseline: String,
        /// 0.5 or 0.8: the share of hours given to the treatment.
        treatment_share: f64,
    },
}

/// A share of one method's conversations delivered by another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Fallback {
    /// The method requested (`requestedRouting`).
    pub from: String,
    /// The method that delivered them instead (`usedRouting`).
    pub to: String,
    /// The share of `from`'s conversations that fall back, in [0, 1).
    pub share: f64,
}

/// A scenario file or text that cannot be used: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScenarioError {
    /// The file, when read from one.
    pub file: Option<PathBuf>,
    /// Where in the JSON (`queues[3].routing.shares`), empty for the whole document.
    pub at: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("scenario")?;
        if let Some(file) = &self.file {
            write!(f, " {}", file.display())?;
        }
        if !self.at.is_empty() {
            write!(f, " at {}", self.at)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScenarioError {}

impl ScenarioError {
    pub(crate) fn at(at: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError {
            file: None,
            at: at.into(),
            message: message.into(),
        }
    }
}

/// How a planted effect is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EffectScale {
    /// Contender's rate minus the baseline's, in the same queue (a risk difference).
    Difference,
    /// Contender's mean over the baseline's, minus 1, in the same queue.
    Relative,
}

/// The true effect of a method against the baseline on one KPI, the same in every queue
/// where both deliver conversations.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PlantedEffect {
    /// The contender (a `usedRouting` value).
    pub method: String,
    /// The baseline, [`BASELINE`].
    pub baseline: String,
    /// The comparison contract's KPI name: `abandonRate`, `serviceLevel`, `transferRate`,
    /// `avgSpeedOfAnswer`, `avgHandleTime`.
    pub kpi: &'static str,
    /// How `value` is measured.
    pub scale: EffectScale,
    /// The effect.
    pub value: f64,
    /// The queues (ids) where both the method and the baseline deliver conversations.
    pub queues: Vec<String>,
}

impl Scenario {
    /// Reads and checks a scenario from JSON text.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the path of the first problem: a syntax error, a missing
    /// or unknown field, a value out of range, an unknown curve or routing method, shares
    /// that do not sum to 1, parameters no routing method can reach.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let scenario: Scenario = serde_path_to_error::deserialize(de).map_err(|e| {
            let at = e.path().to_string();
            ScenarioError::at(
                if at == "." { String::new() } else { at },
                e.into_inner().to_string(),
            )
        })?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads and checks a scenario file.
    ///
    /// # Errors
    /// A [`ScenarioError`] naming the file: it cannot be read, or [`Scenario::from_json`]'s
    /// problems.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let with_file = |mut e: ScenarioError| {
            e.file = Some(path.to_owned());
            e
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| with_file(ScenarioError::at("", format!("cannot read the file: {e}"))))?;
        Scenario::from_json(&text).map_err(with_file)
    }

    /// The built-in centre: 24 queues with daily and weekly curves, Predictive deployed on
    /// the hard queues (better within each, worse pooled: a Simpson's paradox), a time-sliced
    /// Predictive test on two queues, conditional routing on one, every other reference
    /// method on some queue, and abandons before routing. `crates/emulator/scenarios/default.json`
    /// holds the same scenario as JSON.
    pub fn default_centre() -> Scenario {
        default::centre()
    }

    /// Checks every rule the JSON schema cannot say.
    ///
    /// # Errors
    /// The first problem, at its path.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        validate::check(self)
    }

    /// The queue with this id.
    pub fn queue(&self, id: &str) -> Option<&QueueSpec> {
        self.queues.iter().find(|q| q.id == id)
    }

    /// The true effect of every method (other than the baseline) that delivers conversations
    /// on a queue where Standard does too, on each KPI of the comparison contract.
    pub fn true_effects(&self) -> Vec<PlantedEffect> {
        let mut out = Vec::new();
        for (method, effect) in &self.methods {
            if method == BASELINE {
                continue;
            }
            let queues: Vec<String> = self
                .queues
                .iter()
                .filter(|q| {
                    let used = q.used_methods();
                    used.contains(&method.as_str()) && used.contains(&BASELINE)
                })
                .map(|q| q.id.clone())
                .collect();
            if queues.is_empty() {
                continue;
            }
            for (kpi, scale, value) in [
                ("abandonRate", EffectScale::Difference, effect.abandon),
                (
                    "serviceLevel",
                    EffectScale::Difference,
                    effect.service_level,
                ),
                ("transferRate", EffectScale::Difference, effect.transfer),
                (
                    "avgSpeedOfAnswer",
                    EffectScale::Relative,
                    effect.speed_of_answer,
                ),
                ("avgHandleTime", EffectScale::Relative, effect.handle_time),
            ] {
                out.push(PlantedEffect {
                    method: method.clone(),
                    baseline: BASELINE.to_owned(),
                    kpi,
                    scale,
                    value,
                    queues: queues.clone(),
                });
            }
        }
        out
    }

    /// A 64-bit hash of the whole scenario (FNV-1a over its JSON).
    pub(crate) fn fingerprint(&self) -> u64 {
        serde_json::to_string(self)
            .unwrap_or_default()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
    }

    /// The effect of `method` (zero for the baseline or a method without one).
    pub fn effect(&self, method: &str) -> MethodEffect {
        self.methods.get(method).copied().unwrap_or_default()
    }
}

impl QueueSpec {
    /// The methods that can be requested on this queue.
    pub fn requested_methods(&self) -> Vec<&str> {
        match &self.routing {
            Deployment::Split { shares } => shares
                .iter()
                .filter(|(_, s)| **s > 0.0)
                .map(|(m, _)| m.as_str())
                .collect(),
            Deployment::TimeSliced {
                treatment,
                baseline,
                ..
            } => vec![treatment.as_str(), baseline.as_str()],
        }
    }

    /// The methods that deliver conversations on this queue (requested ones and fallback
    /// targets), sorted.
    pub fn used_methods(&self) -> Vec<&str> {
        let requested = self.requested_methods();
        let mut used = requested.clone();
        for f in &self.fallbacks {
            if f.share > 0.0 && requested.contains(&f.from.as_str()) {
                used.push(f.to.as_str());
            }
        }
        used.sort_unstable();
        used.dedup();
        used
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/default.json");

    /// The file the docs show is the built-in scenario. `UPDATE_SCENARIO=1` rewrites it.
    #[test]
    fn the_default_file_is_the_built_in_centre() {
        let built_in = Scenario::default_centre();
        if std::env::var_os("UPDATE_SCENARIO").is_some() {
            let text = serde_json::to_string_pretty(&built_in).unwrap() + "\n";
            std::fs::write(DEFAULT_FILE, text).unwrap();
        }
        let from_file = Scenario::from_path(DEFAULT_FILE).unwrap();
        assert_eq!(
            from_file, built_in,
            "run with UPDATE_SCENARIO=1 to rewrite {DEFAULT_FILE}"
        );
    }

    #[test]
    fn the_default_centre_is_valid_and_plants_the_paradox_on_predictive() {
        let s = Scenario::default_centre();
        s.validate().unwrap();
        assert_eq!(s.queues.len(), 24);
        let predictive: Vec<_> = s
            .true_effects()
            .into_iter()
            .filter(|e| e.method == "Predictive")
            .collect();
        assert_eq!(predictive.len(), 5);
        assert!(
            predictive.iter().all(|e| e.queues.len() >= 8),
            "{predictive:?}"
        );
        let sliced = s
            .queues
            .iter()
            .filter(|q| matches!(q.routing, Deployment::TimeSliced { .. }))
            .count();
        assert_eq!(sliced, 2);
        let mut used: Vec<&str> = s.queues.iter().flat_map(QueueSpec::used_methods).collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, crate::ROUTING_METHODS);
    }

    fn broken(edit: impl FnOnce(&mut serde_json::Value)) -> ScenarioError {
        let mut json = serde_json::to_value(Scenario::default_centre()).unwrap();
        edit(&mut json);
        Scenario::from_json(&json.to_string()).unwrap_err()
    }

    #[test]
    fn bad_scenarios_name_the_path_and_the_problem() {
        let e = broken(|j| j["queues"][3]["routing"]["shares"]["Predictive"] = 0.5.into());
        assert_eq!(e.at, "queues[3].routing.shares");
        assert!(e.message.contains("sum to"), "{e}");
        let e = broken(|j| j["queues"][0]["hourlyCurve"] = "night".into());
        assert_eq!(e.at, "queues[0].hourlyCurve");
        assert!(e.message.contains("night"), "{e}");
        let e = broken(|j| j["queues"][2]["abandon"] = "high".into());
        assert_eq!(e.at, "queues[2].abandon");
        let e = broken(|j| j["queues"][1]["colour"] = "red".into());
        assert!(e.message.contains("colour"), "{e}");
        let e = broken(|j| j["methods"]["Psychic"] = serde_json::json!({}));
        assert_eq!(e.at, "methods.Psychic");
        assert!(e.message.contains("Bullseye"), "{e}");
        let e = broken(|j| j["queues"][10]["routing"]["treatmentShare"] = 0.6.into());
        assert_eq!(e.at, "queues[10].routing.treatmentShare");
        let e = broken(|j| j["queues"][5]["speedOfAnswerSecs"] = 2.0.into());
        assert_eq!(e.at, "queues[5]");
        assert!(e.message.contains("speed of answer"), "{e}");
        let e = broken(|j| j["queues"][0]["fallbacks"][0]["from"] = "Bullseye".into());
        assert_eq!(e.at, "queues[0].fallbacks[0].from");
        let e = broken(|j| j["queues"][4]["id"] = j["queues"][3]["id"].clone());
        assert_eq!(e.at, "queues[4].id");
        let e = Scenario::from_json("{\"name\": ").unwrap_err();
        assert!(e.message.contains("EOF"), "{e}");
    }

    #[test]
    fn a_missing_file_names_the_file() {
        let e = Scenario::from_path("/nonexistent/scenario.json").unwrap_err();
        assert!(e.to_string().contains("/nonexistent/scenario.json"), "{e}");
    }
}
