//! The evaluation report: every strategy's KPIs, score and confidence, with the context a
//! reader needs (window, source, jobs, completeness). Its JSON form is the webhook body.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::ser::SerializeMap;

use crate::evaluation::Window;
use crate::evaluation::audit::RequestCount;
use crate::metrics::{Kpis, MetricTable};
use crate::origin::DataOrigin;
use crate::scoring::Confidence;

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
    /// A flat record: the tutorial's field names, then every KPI by name (seconds for
    /// durations, `null` where missing), then the normalised values and the confidence.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("strategyId", &self.strategy_id)?;
        map.serialize_entry("score", &self.score)?;
        map.serialize_entry("percentile_rank", &self.percentile_rank)?;
        map.serialize_entry("coverage", &self.coverage)?;
        for (kpi, value) in self.kpis.iter() {
            map.serialize_entry(kpi.name(), &value)?;
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
    /// HTTP calls made for this evaluation.
    pub requests: RequestCount,
    /// Strategies with data / strategies requested, or 1.0 when none were named.
    pub data_completeness: f64,
    /// Requested strategies the source returned no data for.
    pub missing_strategies: Vec<String>,
}

impl Report {
    /// Results sorted by score descending, then strategy id ascending; unscored last.
    pub fn ranked(&self) -> Vec<&StrategyReport> {
        let mut ranked: Vec<&StrategyReport> = self.results.iter().collect();
        ranked.sort_by(|a, b| match (a.score, b.score) {
            (Some(x), Some(y)) => y
                .total_cmp(&x)
                .then_with(|| a.strategy_id.cmp(&b.strategy_id)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.strategy_id.cmp(&b.strategy_id),
        });
        ranked
    }

    /// How many strategies received a score (the webhook's `record_count`).
    pub fn scored_count(&self) -> usize {
        self.results.iter().filter(|r| r.score.is_some()).count()
    }

    /// The result for one strategy.
    pub fn strategy(&self, strategy_id: &str) -> Option<&StrategyReport> {
        self.results.iter().find(|r| r.strategy_id == strategy_id)
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
    data: &'a [StrategyReport],
    unattributed: &'a Kpis,
    missing_strategies: &'a [String],
    data_completeness: f64,
    job_ids: &'a [String],
}

impl Serialize for Report {
    /// The webhook body: `timestamp`, `evaluation_type` (`routing_strategy_performance`),
    /// `evaluation_id`, `record_count` (scored strategies), `window`, `source`, `dataOrigin`
    /// (`genesys` or `emulator`: synthetic data says so in every body), `data` (one
    /// flat record per strategy), plus `group_by`, `unattributed`, `missing_strategies`,
    /// `data_completeness` and `job_ids` for context. The raw metric table is left out.
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
            data: &self.results,
            unattributed: &self.unattributed,
            missing_strategies: &self.missing_strategies,
            data_completeness: self.data_completeness,
            job_ids: &self.job_ids,
        }
        .serialize(serializer)
    }
}
