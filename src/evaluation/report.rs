//! The evaluation report: every strategy's KPIs, score and confidence, with the context a
//! reader needs (window, source, jobs, completeness). Its JSON form is the webhook body.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::comparison::{Comparison, ComparisonResult};
use crate::evaluation::audit::RequestCount;
use crate::evaluation::{Fallbacks, Window};
use crate::metrics::{KpiValue, Kpis, MetricTable};
use crate::names::Names;
use crate::origin::DataOrigin;
use crate::scoring::{Confidence, KpiWeight, MissingPolicy, Normalization, Preset, ScoringConfig};

/// Where the metric table came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SourceKind {
    /// The real conversation aggregates jobs API (default).
    #[default]
    Aggregates,
    /// The tutorial's strategies facade.
    Strategies,
}

impl SourceKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Aggregates => "aggregates",
            SourceKind::Strategies => "strategies",
        }
    }
}

impl SourceKind {
    /// The scoring preset of an evaluation that sets none: [`Preset::Rates`] where the source
    /// supplies the rate KPIs (aggregates), [`Preset::Tutorial`] where it does not (the
    /// strategies facade reports handled calls, speed of answer and abandons only).
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::evaluation::SourceKind;
    /// use genesys_routing_eval::scoring::Preset;
    /// assert_eq!(SourceKind::Aggregates.default_preset(), Preset::Rates);
    /// assert_eq!(SourceKind::Strategies.default_preset(), Preset::Tutorial);
    /// ```
    pub fn default_preset(self) -> Preset {
        match self {
            SourceKind::Strategies => Preset::Tutorial,
            _ => Preset::Rates,
        }
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One strategy's line in the report.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StrategyReport {
    /// The strategy: a value of the grouping dimension.
    pub strategy_id: String,
    /// The strategy's name when the grouping dimension has names (a queue's, a user's) and
    /// it was resolved; `None` otherwise (routing methods have no names).
    pub name: Option<String>,
    /// Whether the source returned any data for it; `false` for a requested strategy the
    /// window holds nothing of (it has no score and no rank).
    pub has_data: bool,
    /// Its position in [`Report::ranked`], 1 = best, counting scored strategies only;
    /// `None` when unscored.
    pub rank: Option<usize>,
    /// Weighted score in `[0, 1]`; `None` when no weighted KPI was present.
    pub score: Option<f64>,
    /// Percentile rank among scored strategies, best = 1.0.
    pub percentile_rank: Option<f64>,
    /// Share of the KPI weight that had data.
    pub coverage: f64,
    /// Each scored KPI's normalised value (`None` where missing).
    pub normalized: BTreeMap<String, Option<f64>>,
    /// Every KPI derived from the strategy's merged counts.
    pub kpis: Kpis,
    /// How much data the score rests on.
    pub confidence: Confidence,
}

impl Serialize for StrategyReport {
    /// A flat record: the tutorial's field names, `has_data` and `rank` (`null` where
    /// unscored), then every KPI by name (counts as integers, seconds for durations, `null`
    /// where missing), then the normalised values and the confidence.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("strategyId", &self.strategy_id)?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        map.serialize_entry("has_data", &self.has_data)?;
        map.serialize_entry("rank", &self.rank)?;
        map.serialize_entry("score", &self.score)?;
        map.serialize_entry("percentile_rank", &self.percentile_rank)?;
        map.serialize_entry("coverage", &self.coverage)?;
        for (kpi, value) in self.kpis.iter() {
            map.serialize_entry(kpi.name(), &KpiValue(kpi, value))?;
        }
        map.serialize_entry("normalized", &self.normalized)?;
        map.serialize_entry("confidence", &self.confidence)?;
        map.end()
    }
}

/// The result of one evaluation.
///
/// `results` are in the order the source first reported each strategy, followed by requested
/// strategies that had no data; [`Report::ranked`] gives the sorted view. Its `Serialize`
/// form is the webhook body of DESIGN.md.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report {
    /// Unique id of this evaluation, shared with its audit record.
    pub evaluation_id: String,
    /// When the report was made.
    pub timestamp: DateTime<Utc>,
    /// The evaluated window.
    pub window: Window,
    /// The source queried.
    pub source: SourceKind,
    /// Where the figures come from: Genesys Cloud, or the emulator's synthetic data.
    pub data_origin: DataOrigin,
    /// The grouping dimension that defines a strategy.
    pub group_by: String,
    /// Strategy ids the caller asked for (empty: every value observed).
    pub requested_strategies: Vec<String>,
    /// One line per strategy.
    pub results: Vec<StrategyReport>,
    /// KPIs of interactions that carried no value of the grouping dimension.
    pub unattributed: Kpis,
    /// The merged metric table the KPIs were derived from.
    pub table: MetricTable,
    /// Job ids the server returned, in window order.
    pub job_ids: Vec<String>,
    /// How each requested routing method's interactions were delivered, when the evaluation
    /// asked for the fallback table.
    pub fallbacks: Option<Fallbacks>,
    /// The comparison on the same traffic (`COMPARISON.md`), when one ran.
    pub comparison: Option<Comparison>,
    /// Why no comparison ran, in one line, when the default one did not apply (grouped by a
    /// queue, say).
    pub comparison_note: Option<String>,
    /// HTTP calls made for this evaluation.
    pub requests: RequestCount,
    /// Strategies with data / strategies requested, or 1.0 when none were named.
    pub data_completeness: f64,
    /// Requested strategies the source returned no data for.
    pub missing_strategies: Vec<String>,
    /// How the strategies were scored.
    pub scoring: ScoringConfig,
    /// Names of the queue, skill and user ids in the report (the strategies', the `within`
    /// values'), and a warning per directory the client may not read; empty when names were
    /// not resolved.
    pub names: Names,
}

impl Report {
    /// Results sorted by score descending, then strategy id ascending; unscored last.
    pub fn ranked(&self) -> Vec<&StrategyReport> {
        ranked_order(&self.results)
            .into_iter()
            .map(|i| &self.results[i])
            .collect()
    }

    /// How many strategies received a score (the webhook's `record_count`).
    pub fn scored_count(&self) -> usize {
        self.results.iter().filter(|r| r.score.is_some()).count()
    }

    /// The result for one strategy.
    pub fn strategy(&self, strategy_id: &str) -> Option<&StrategyReport> {
        self.results.iter().find(|r| r.strategy_id == strategy_id)
    }

    /// Whether any strategy in the report has data. `false` when the window held nothing for
    /// any requested strategy (or, with none requested, nothing at all): the ranking is
    /// empty, and the CLI exits 1.
    pub fn has_data(&self) -> bool {
        self.results.iter().any(|r| r.has_data)
    }
}

/// Puts `rank` on every scored line, in [`Report::ranked`] order.
pub(crate) fn assign_ranks(results: &mut [StrategyReport]) {
    let scored: Vec<usize> = ranked_order(results)
        .into_iter()
        .filter(|&i| results[i].score.is_some())
        .collect();
    for (position, index) in scored.into_iter().enumerate() {
        results[index].rank = Some(position + 1);
    }
}

/// Indices of `results` by score descending, then strategy id ascending; unscored last.
fn ranked_order(results: &[StrategyReport]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&i, &j| {
        let (a, b) = (&results[i], &results[j]);
        match (a.score, b.score) {
            (Some(x), Some(y)) => y
                .total_cmp(&x)
                .then_with(|| a.strategy_id.cmp(&b.strategy_id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.strategy_id.cmp(&b.strategy_id),
        }
    });
    order
}

/// The scoring configuration as the report and the audit record state it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ScoringSummary {
    /// The preset's name (`rates`, `tutorial`), or `custom` for weights of the caller's own.
    pub preset: String,
    /// The KPIs with their weights and directions, in the order they are combined.
    pub kpis: Vec<KpiWeight>,
    /// How each KPI was normalised.
    pub normalization: Normalization,
    /// What a missing value did.
    pub missing: MissingPolicy,
}

impl ScoringSummary {
    /// The summary of `config`.
    pub fn of(config: &ScoringConfig) -> Self {
        ScoringSummary {
            preset: config.preset().map_or("custom", Preset::name).to_owned(),
            kpis: config.kpis.clone(),
            normalization: config.normalization,
            missing: config.missing,
        }
    }
}

#[derive(Serialize)]
struct WindowBody<'a> {
    from: &'a DateTime<Utc>,
    to: &'a DateTime<Utc>,
}

#[derive(Serialize)]
struct Body<'a> {
    timestamp: &'a DateTime<Utc>,
    evaluation_type: &'static str,
    evaluation_id: &'a str,
    record_count: usize,
    window: WindowBody<'a>,
    source: SourceKind,
    #[serde(rename = "dataOrigin")]
    data_origin: DataOrigin,
    group_by: &'a str,
    scoring: ScoringSummary,
    data: &'a [StrategyReport],
    unattributed: &'a Kpis,
    missing_strategies: &'a [String],
    data_completeness: f64,
    job_ids: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    fallbacks: Option<&'a Fallbacks>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison: Option<NamedComparison<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comparison_note: Option<&'a str>,
    #[serde(skip_serializing_if = "names_are_empty")]
    names: &'a Names,
}

fn names_are_empty(names: &&Names) -> bool {
    **names == Names::default()
}

impl Serialize for Report {
    /// The webhook body: `timestamp`, `evaluation_type` (`routing_strategy_performance`),
    /// `evaluation_id`, `record_count` (scored strategies), `window`, `source`, `dataOrigin`
    /// (`genesys` or `emulator`: synthetic data says so in every body), `data` (one
    /// flat record per strategy), plus `group_by`, `scoring` (preset and weights),
    /// `unattributed`, `missing_strategies`,
    /// `data_completeness` and `job_ids` for context; `fallbacks` when asked for;
    /// `comparison` (the contract object of `COMPARISON.md`, with `treatment`, `within` and
    /// `match`, and the strategies' names beside their ids as [`NamedComparison`] writes
    /// them) when one ran, else `comparison_note` saying why not. The raw metric table is
    /// left out. `names` (`queues`, `skills`, `users`: id to name, and `warnings`) when any
    /// were resolved or a directory was denied; each `data` record carries `name` beside
    /// `strategyId` when its id has one.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Body {
            timestamp: &self.timestamp,
            evaluation_type: "routing_strategy_performance",
            evaluation_id: &self.evaluation_id,
            record_count: self.scored_count(),
            window: WindowBody {
                from: &self.window.from,
                to: &self.window.to,
            },
            source: self.source,
            data_origin: self.data_origin,
            group_by: &self.group_by,
            scoring: ScoringSummary::of(&self.scoring),
            data: &self.results,
            unattributed: &self.unattributed,
            missing_strategies: &self.missing_strategies,
            data_completeness: self.data_completeness,
            job_ids: &self.job_ids,
            fallbacks: self.fallbacks.as_ref(),
            comparison: self
                .comparison
                .as_ref()
                .map(|c| NamedComparison::new(c, &self.names)),
            comparison_note: self.comparison_note.as_deref(),
            names: &self.names,
        }
        .serialize(serializer)
    }
}

/// A comparison as JSON with the names of its strategies: the contract's object
/// (`COMPARISON.md`), every field as it is, plus `baselineName` beside `baseline` and
/// `contenderName` in each result beside `contender`, each left out when that id has no
/// resolved name (routing methods never have one; queue or user ids do), as `data[].name` is.
///
/// ```
/// use genesys_routing_eval::comparison::{ComparisonFile, compare};
/// use genesys_routing_eval::evaluation::NamedComparison;
/// use genesys_routing_eval::names::Names;
///
/// let file = br#"{"rows": [
///   {"strategy": "Standard", "cell": ["q1"], "counts": {"offered": 100, "abandoned": 10}},
///   {"strategy": "Bullseye", "cell": ["q1"], "counts": {"offered": 90, "abandoned": 5}}]}"#;
/// let (config, table) = ComparisonFile::from_slice(file)?.into_parts();
/// let comparison = compare(&config.build()?, &table)?;
/// let names = Names::default();
/// let json = serde_json::to_value(NamedComparison::new(&comparison, &names))?;
/// assert_eq!(json["baseline"], "Standard");
/// assert!(json.get("baselineName").is_none(), "routing methods have no names");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NamedComparison<'a> {
    comparison: &'a Comparison,
    names: &'a Names,
}

impl<'a> NamedComparison<'a> {
    /// `comparison`, its treatment's values named from `names`.
    pub fn new(comparison: &'a Comparison, names: &'a Names) -> Self {
        NamedComparison { comparison, names }
    }

    fn name(&self, id: &str) -> Option<&'a str> {
        self.names.for_dimension(&self.comparison.treatment, id)
    }
}

#[derive(Serialize)]
struct NamedResult<'a> {
    #[serde(flatten)]
    result: &'a ComparisonResult,
    #[serde(rename = "contenderName", skip_serializing_if = "Option::is_none")]
    contender_name: Option<&'a str>,
}

impl Serialize for NamedComparison<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let c = self.comparison;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("treatment", &c.treatment)?;
        map.serialize_entry("within", &c.within)?;
        map.serialize_entry("match", &c.cell_match)?;
        map.serialize_entry("baseline", &c.baseline)?;
        if let Some(name) = self.name(&c.baseline) {
            map.serialize_entry("baselineName", name)?;
        }
        map.serialize_entry("alpha", &c.alpha)?;
        map.serialize_entry("power", &c.power)?;
        let results: Vec<NamedResult<'_>> = c
            .results
            .iter()
            .map(|result| NamedResult {
                result,
                contender_name: self.name(&result.contender),
            })
            .collect();
        map.serialize_entry("results", &results)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::{ComparisonConfig, ComparisonFile, compare};

    fn by_queue() -> Comparison {
        let file = br#"{"rows": [
            {"strategy": "q-big", "cell": ["u1"], "counts": {"offered": 100, "abandoned": 10}},
            {"strategy": "q-small", "cell": ["u1"], "counts": {"offered": 90, "abandoned": 5}}]}"#;
        let (_, table) = ComparisonFile::from_slice(file).unwrap().into_parts();
        let config = ComparisonConfig::builder()
            .treatment("queueId")
            .within(["userId"])
            .build()
            .unwrap();
        compare(&config, &table).unwrap()
    }

    #[test]
    fn a_named_comparison_only_adds_the_name_fields_to_the_contract_object() {
        let comparison = by_queue();
        let plain = serde_json::to_value(&comparison).unwrap();
        let unnamed =
            serde_json::to_value(NamedComparison::new(&comparison, &Names::default())).unwrap();
        assert_eq!(
            unnamed, plain,
            "without names: the contract object, field for field"
        );

        let mut names = Names::default();
        names.queues.insert("q-big".into(), "Claims".into());
        let named = serde_json::to_value(NamedComparison::new(&comparison, &names)).unwrap();
        assert_eq!(named["baselineName"], "Claims");
        assert!(
            named["results"][0].get("contenderName").is_none(),
            "unresolved: left out"
        );
        let mut stripped = named.clone();
        stripped.as_object_mut().unwrap().remove("baselineName");
        assert_eq!(stripped, plain);

        names.queues.insert("q-small".into(), "Sales".into());
        let both = serde_json::to_value(NamedComparison::new(&comparison, &names)).unwrap();
        assert_eq!(both["results"][0]["contender"], "q-small");
        assert_eq!(both["results"][0]["contenderName"], "Sales");
    }
}
