//! What to score and how: KPIs with weights and directions, normalisation, missing values.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ValidationError};

/// Which way a KPI is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// More is better (`higher_is_better`): handled calls, service level.
    HigherIsBetter,
    /// Less is better (`lower_is_better`): speed of answer, abandons.
    LowerIsBetter,
}

/// How one KPI's values are put on a common 0..1 scale across the cohort.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Normalization {
    /// `(v - min) / (max - min)` (`min_max`, the default): keeps distances, so one outlier
    /// squeezes everyone else together.
    #[default]
    MinMax,
    /// The average-tie rank mapped onto 0..1 (`rank`): keeps only the order, robust to
    /// outliers.
    Rank,
}

/// What a missing KPI value does to a row's score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    /// Score over the KPIs that are present, with their weights rescaled (`renormalize`, the
    /// default); `coverage` says how much weight that was.
    #[default]
    Renormalize,
    /// A missing KPI counts as the worst value, 0, with its full weight (`worst`).
    Worst,
    /// Any missing KPI is an error naming every offending row and metric (`reject`).
    Reject,
}

/// One KPI of a scoring config: which metric, how much it counts, which way is better.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KpiWeight {
    /// The metric's name in the rows (`avgSpeedOfAnswer`, see [`crate::metrics::Kpi`]).
    pub metric: String,
    /// Its weight: finite and at least 0.
    pub weight: f64,
    /// Which way is better.
    pub direction: Direction,
}

impl KpiWeight {
    /// A KPI of `metric` with `weight` and `direction`.
    pub fn new(metric: impl Into<String>, weight: f64, direction: Direction) -> Self {
        KpiWeight {
            metric: metric.into(),
            weight,
            direction,
        }
    }
}

/// The default minimum of offered interactions below which a row is flagged low confidence.
pub const DEFAULT_MIN_OFFERED: u64 = 30;

fn default_min_offered() -> u64 {
    DEFAULT_MIN_OFFERED
}

/// How to score: the KPIs, normalisation, missing-value policy, and the confidence threshold.
///
/// Serialises in the format of the scoring vectors (`{"kpis": [{"metric", "weight",
/// "direction"}], "normalization", "missing"}`), plus `minOffered`, which defaults to 30 when
/// absent. See `docs/scoring-presets.md` for choosing between [`ScoringConfig::default`] and
/// [`ScoringConfig::rates`].
///
/// # Example
/// ```
/// use genesys_routing_eval::scoring::{Direction, KpiWeight, ScoringConfig};
/// let config = ScoringConfig {
///     kpis: vec![
///         KpiWeight::new("serviceLevel", 2.0, Direction::HigherIsBetter),
///         KpiWeight::new("abandonRate", 1.0, Direction::LowerIsBetter),
///     ],
///     ..ScoringConfig::default()
/// };
/// config.validate()?;
/// # Ok::<(), genesys_routing_eval::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScoringConfig {
    /// The KPIs, in the order they are combined.
    pub kpis: Vec<KpiWeight>,
    /// How each KPI is normalised over the cohort.
    #[serde(default)]
    pub normalization: Normalization,
    /// What a missing value does.
    #[serde(default)]
    pub missing: MissingPolicy,
    /// Rows with fewer offered interactions than this are flagged `low_confidence`
    /// (default 30). Never changes a score.
    #[serde(default = "default_min_offered")]
    pub min_offered: u64,
}

impl Default for ScoringConfig {
    /// The tutorial's weights with the direction it describes: handled calls 0.3 (higher is
    /// better), speed of answer 0.4 (lower is better), abandoned calls 0.3 (lower is better);
    /// min-max, renormalize.
    fn default() -> Self {
        ScoringConfig {
            kpis: vec![
                KpiWeight::new("handledCalls", 0.3, Direction::HigherIsBetter),
                KpiWeight::new("avgSpeedOfAnswer", 0.4, Direction::LowerIsBetter),
                KpiWeight::new("abandonedCalls", 0.3, Direction::LowerIsBetter),
            ],
            normalization: Normalization::MinMax,
            missing: MissingPolicy::Renormalize,
            min_offered: DEFAULT_MIN_OFFERED,
        }
    }
}

/// A named scoring configuration shipped with the crate (`docs/scoring-presets.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Preset {
    /// The tutorial's weights with the direction corrected ([`ScoringConfig::tutorial`], also
    /// [`ScoringConfig::default`], the offline `score` contract of `SCORING.md`). Two of its
    /// three KPIs are volumes, so it ranks traffic as much as service.
    Tutorial,
    /// Quality per caller ([`ScoringConfig::rates`]): rates and averages only. The default of
    /// an evaluation on the aggregates source.
    Rates,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 2] = [Preset::Tutorial, Preset::Rates];

    /// The preset's name, as `--preset` and reports spell it (`rates`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Tutorial => "tutorial",
            Preset::Rates => "rates",
        }
    }

    /// The preset's configuration.
    pub fn config(self) -> ScoringConfig {
        match self {
            Preset::Tutorial => ScoringConfig::tutorial(),
            Preset::Rates => ScoringConfig::rates(),
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl ScoringConfig {
    /// The tutorial preset, the same as [`ScoringConfig::default`]: handled calls 0.3 (higher
    /// is better), speed of answer 0.4, abandoned calls 0.3 (lower is better).
    pub fn tutorial() -> Self {
        ScoringConfig::default()
    }

    /// The preset this config is, if its KPIs, normalisation and missing policy are one's
    /// (`min_offered` does not count: it never changes a score); `None` for weights of your
    /// own.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::scoring::{Normalization, Preset, ScoringConfig};
    /// assert_eq!(ScoringConfig::rates().with_min_offered(5).preset(), Some(Preset::Rates));
    /// assert_eq!(ScoringConfig::rates().with_normalization(Normalization::Rank).preset(), None);
    /// ```
    pub fn preset(&self) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| {
            let preset = p.config();
            preset.kpis == self.kpis
                && preset.normalization == self.normalization
                && preset.missing == self.missing
        })
    }

    /// The rates preset: scores how well each strategy serves a caller, not how many callers
    /// it got. Service level 2.0 (higher is better), abandon rate 1.5, speed of answer 1.0,
    /// handle time 0.5 (all lower is better); min-max, renormalize.
    pub fn rates() -> Self {
        ScoringConfig {
            kpis: vec![
                KpiWeight::new("serviceLevel", 2.0, Direction::HigherIsBetter),
                KpiWeight::new("abandonRate", 1.5, Direction::LowerIsBetter),
                KpiWeight::new("avgSpeedOfAnswer", 1.0, Direction::LowerIsBetter),
                KpiWeight::new("avgHandleTime", 0.5, Direction::LowerIsBetter),
            ],
            ..ScoringConfig::default()
        }
    }

    /// Sets the normalisation.
    pub fn with_normalization(mut self, normalization: Normalization) -> Self {
        self.normalization = normalization;
        self
    }

    /// Sets the missing-value policy.
    pub fn with_missing(mut self, missing: MissingPolicy) -> Self {
        self.missing = missing;
        self
    }

    /// Sets the minimum of offered interactions for a confident row.
    pub fn with_min_offered(mut self, min_offered: u64) -> Self {
        self.min_offered = min_offered;
        self
    }

    /// The metric names, in config order.
    pub fn metrics(&self) -> impl Iterator<Item = &str> + '_ {
        self.kpis.iter().map(|k| k.metric.as_str())
    }

    /// Checks the config: at least one KPI, names non-empty and unique, weights finite and
    /// at least 0, their sum above 0.
    ///
    /// # Errors
    /// An [`ErrorKind::Config`](crate::ErrorKind::Config) error holding one
    /// [`ValidationError::Kpi`] per problem found.
    pub fn validate(&self) -> Result<(), Error> {
        Error::unless_problems(self.problems())
    }

    /// Every problem with the config, empty when it is valid.
    pub fn problems(&self) -> Vec<ValidationError> {
        let mut problems = Vec::new();
        let kpi = |metric: &str, reason: String| ValidationError::Kpi {
            metric: metric.to_owned(),
            reason,
        };
        if self.kpis.is_empty() {
            problems.push(kpi(
                "",
                "no KPIs configured; add at least one {metric, weight, direction}".into(),
            ));
        }
        for (i, k) in self.kpis.iter().enumerate() {
            if k.metric.trim().is_empty() {
                problems.push(kpi(
                    &k.metric,
                    format!("KPI {i} has an empty metric name; name the metric to score"),
                ));
            }
            if self.kpis[..i]
                .iter()
                .any(|earlier| earlier.metric == k.metric)
            {
                problems.push(kpi(
                    &k.metric,
                    "listed more than once; give each metric one entry".into(),
                ));
            }
            if !k.weight.is_finite() || k.weight < 0.0 {
                problems.push(kpi(
                    &k.metric,
                    format!(
                        "weight {} is not a finite number >= 0; use 0 to ignore a KPI",
                        k.weight
                    ),
                ));
            }
        }
        let all_weights_valid = self
            .kpis
            .iter()
            .all(|k| k.weight.is_finite() && k.weight >= 0.0);
        let total: f64 = self.kpis.iter().map(|k| k.weight).sum();
        if !self.kpis.is_empty() && all_weights_valid && total <= 0.0 {
            problems.push(kpi(
                "",
                "weights add up to 0; give at least one KPI a positive weight".into(),
            ));
        }
        if all_weights_valid && !total.is_finite() {
            // Each weight is finite, their sum is not: coverage would divide by infinity.
            problems.push(kpi(
                "",
                format!(
                    "weights add up to more than {:e}, beyond a finite number; scale them down (only their ratios matter)",
                    f64::MAX
                ),
            ));
        }
        problems
    }
}
