//! What a comparison tests: the design (treatment, within, match), the strategies, the KPIs,
//! alpha and power; validated completely by [`ComparisonConfigBuilder::build`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::kpi::{ComparisonKpi, unknown_kpi};
use crate::error::{Error, ValidationError};

/// The default significance level, `0.05`.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// The default power for the minimum detectable difference, `0.8`.
pub const DEFAULT_POWER: f64 = 0.8;

/// Which time key, besides the `within` dimensions, makes a cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CellMatch {
    /// `bucket` (the default): each granularity bucket; fits a concurrent split, where both
    /// strategies take traffic at the same time.
    #[default]
    Bucket,
    /// `hour-of-day`: buckets of the same local hour of the day, pooled over the window; fits
    /// time-sliced tests such as Genesys Predictive Routing's comparison mode.
    HourOfDay,
    /// `window`: the whole window; for strategies that never run at the same time.
    Window,
}

impl CellMatch {
    /// The name `--match` takes and the output's `match` field holds.
    pub fn name(self) -> &'static str {
        match self {
            CellMatch::Bucket => "bucket",
            CellMatch::HourOfDay => "hour-of-day",
            CellMatch::Window => "window",
        }
    }
}

impl fmt::Display for CellMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CellMatch {
    type Err = Error;

    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) for a name other than `bucket`,
    /// `hour-of-day` and `window`.
    fn from_str(s: &str) -> Result<Self, Error> {
        [CellMatch::Bucket, CellMatch::HourOfDay, CellMatch::Window]
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                Error::invalid(ValidationError::Invalid {
                    name: "match".into(),
                    reason: format!("`{s}` is not a match; use bucket, hour-of-day or window"),
                })
            })
    }
}

/// A validated comparison setting.
///
/// Build it with [`ComparisonConfig::builder`]; [`ComparisonConfig::default`] is the contract's
/// defaults (treatment `usedRouting`, within `queueId`, match `bucket`, the most offered
/// strategy as baseline against every other, every KPI, alpha 0.05, power 0.8). The fields are
/// public to read; [`compare`](super::compare) validates them again, so a field changed after
/// `build()` cannot slip through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
#[non_exhaustive]
pub struct ComparisonConfig {
    /// The dimension whose values are the strategies (`usedRouting`: as treated).
    pub treatment: String,
    /// The dimensions that, with the time key, make a cell (`["queueId"]`).
    pub within: Vec<String>,
    /// The time key of a cell.
    #[serde(rename = "match")]
    pub cell_match: CellMatch,
    /// The baseline; `None`: the strategy with the largest total offered (ties: the smallest
    /// id in byte order).
    pub baseline: Option<String>,
    /// The contenders; `None`: every strategy but the baseline.
    pub contenders: Option<Vec<String>>,
    /// The KPIs; `None`: all five.
    pub kpis: Option<Vec<ComparisonKpi>>,
    /// The family-wise significance level Holm-adjusted p-values are held to, in (0, 1).
    pub alpha: f64,
    /// The power the minimum detectable difference is computed for, in (0, 1).
    pub power: f64,
}

impl Default for ComparisonConfig {
    fn default() -> Self {
        ComparisonConfig {
            treatment: "usedRouting".into(),
            within: vec!["queueId".into()],
            cell_match: CellMatch::Bucket,
            baseline: None,
            contenders: None,
            kpis: None,
            alpha: DEFAULT_ALPHA,
            power: DEFAULT_POWER,
        }
    }
}

impl ComparisonConfig {
    /// A builder starting from the defaults.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::comparison::{CellMatch, ComparisonConfig};
    /// let config = ComparisonConfig::builder()
    ///     .cell_match(CellMatch::HourOfDay)
    ///     .baseline("Standard")
    ///     .contenders(["Predictive"])
    ///     .kpi_names(["abandonRate", "avgSpeedOfAnswer"])
    ///     .alpha(0.01)
    ///     .build()?;
    /// assert_eq!(config.power, 0.8);
    /// assert!(ComparisonConfig::builder().alpha(1.5).build().is_err());
    /// # Ok::<(), genesys_routing_eval::Error>(())
    /// ```
    pub fn builder() -> ComparisonConfigBuilder {
        ComparisonConfigBuilder::default()
    }

    /// Every problem with this setting, as one configuration error.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) listing each problem: alpha or power
    /// outside (0, 1), an empty contender or KPI list, a contender equal to the baseline, a
    /// `within` dimension equal to the treatment, an empty treatment.
    pub fn validate(&self) -> Result<(), Error> {
        Error::unless_problems(self.problems())
    }

    fn problems(&self) -> Vec<ValidationError> {
        let invalid = |name: &str, reason: String| ValidationError::Invalid {
            name: name.into(),
            reason,
        };
        let mut problems = Vec::new();
        for (name, value) in [("alpha", self.alpha), ("power", self.power)] {
            if !(value > 0.0 && value < 1.0) {
                problems.push(invalid(
                    name,
                    format!("{value} is outside (0, 1); use a probability such as 0.05 or 0.8"),
                ));
            }
        }
        if self.treatment.is_empty() {
            problems.push(invalid(
                "treatment",
                "is empty; use usedRouting or requestedRouting".into(),
            ));
        }
        if self.within.contains(&self.treatment) {
            problems.push(invalid(
                "within",
                format!(
                    "`{}` is the treatment; a cell cannot hold a single strategy's traffic",
                    self.treatment
                ),
            ));
        }
        problems.extend(self.strategy_problems());
        problems
    }

    fn strategy_problems(&self) -> Vec<ValidationError> {
        let mut problems = Vec::new();
        if let Some(contenders) = &self.contenders {
            if contenders.is_empty() {
                problems.push(ValidationError::Invalid {
                    name: "contender".into(),
                    reason: "the list is empty; name at least one, or leave it out to compare every other strategy".into(),
                });
            }
            if let Some(baseline) = self.baseline.as_ref().filter(|b| contenders.contains(b)) {
                problems.push(ValidationError::Invalid {
                    name: "contender".into(),
                    reason: format!(
                        "`{baseline}` is the baseline; a strategy cannot be compared with itself"
                    ),
                });
            }
        }
        if self.kpis.as_ref().is_some_and(Vec::is_empty) {
            problems.push(ValidationError::Invalid {
                name: "kpi".into(),
                reason: "the list is empty; name at least one, or leave it out for all five".into(),
            });
        }
        problems
    }
}

/// Builds a [`ComparisonConfig`], validating every setting at once in
/// [`build`](ComparisonConfigBuilder::build).
#[derive(Debug, Clone, Default)]
pub struct ComparisonConfigBuilder {
    config: ComparisonConfig,
    unknown_kpis: Vec<String>,
}

impl ComparisonConfigBuilder {
    /// The treatment dimension (default `usedRouting`; `requestedRouting` compares as assigned).
    pub fn treatment(mut self, dimension: impl Into<String>) -> Self {
        self.config.treatment = dimension.into();
        self
    }

    /// The dimensions a cell holds fixed besides its time key (default `["queueId"]`; empty
    /// with [`CellMatch::Window`]: one cell, the pooled traffic).
    pub fn within<I, S>(mut self, dimensions: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.within = dimensions.into_iter().map(Into::into).collect();
        self
    }

    /// The cell's time key (default [`CellMatch::Bucket`]).
    pub fn cell_match(mut self, cell_match: CellMatch) -> Self {
        self.config.cell_match = cell_match;
        self
    }

    /// The baseline (default: the most offered strategy).
    pub fn baseline(mut self, strategy: impl Into<String>) -> Self {
        self.config.baseline = Some(strategy.into());
        self
    }

    /// The contenders (default: every strategy but the baseline); duplicates are dropped, and
    /// results list them by total offered (descending, then id) whatever the order given.
    pub fn contenders<I, S>(mut self, strategies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut list: Vec<String> = Vec::new();
        for s in strategies.into_iter().map(Into::into) {
            if !list.contains(&s) {
                list.push(s);
            }
        }
        self.config.contenders = Some(list);
        self
    }

    /// The KPIs (default: all five); results list them in [`ComparisonKpi::ALL`]'s order
    /// whatever the order given here.
    pub fn kpis(mut self, kpis: impl IntoIterator<Item = ComparisonKpi>) -> Self {
        let mut list: Vec<ComparisonKpi> = kpis.into_iter().collect();
        list.sort();
        list.dedup();
        self.config.kpis = Some(list);
        self
    }

    /// The KPIs by name (`abandonRate`); an unknown name is reported by `build()` with the
    /// nearest known name.
    pub fn kpi_names<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut known = Vec::new();
        for name in names {
            match ComparisonKpi::ALL
                .into_iter()
                .find(|k| k.name() == name.as_ref())
            {
                Some(kpi) => known.push(kpi),
                None => self.unknown_kpis.push(name.as_ref().to_owned()),
            }
        }
        self.kpis(known)
    }

    /// The significance level (default 0.05), in (0, 1).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.config.alpha = alpha;
        self
    }

    /// The power for the minimum detectable difference (default 0.8), in (0, 1).
    pub fn power(mut self, power: f64) -> Self {
        self.config.power = power;
        self
    }

    /// The validated setting.
    ///
    /// # Errors
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) listing every problem, as
    /// [`ComparisonConfig::validate`] does, plus each unknown KPI name.
    pub fn build(self) -> Result<ComparisonConfig, Error> {
        let mut problems: Vec<ValidationError> =
            self.unknown_kpis.iter().map(|n| unknown_kpi(n)).collect();
        // An all-unknown list is reported as unknown names, not as an empty list too.
        let mut config = self.config;
        if !problems.is_empty() && config.kpis.as_ref().is_some_and(Vec::is_empty) {
            config.kpis = None;
        }
        problems.extend(config.problems());
        Error::unless_problems(problems).map(|()| config)
    }
}
