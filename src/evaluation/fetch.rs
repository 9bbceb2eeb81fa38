//! From a plan and a window to one merged metric table: the only part of the pipeline that
//! knows which source it talks to.

use futures_util::{StreamExt, TryStreamExt, stream};

use super::fallbacks::{self, Fallbacks};
use super::{Plan, SourceKind, Window};
use crate::client::Client;
use crate::error::{Result, ValidationError};
use crate::metrics::{Kpi, MetricTable};
use crate::progress::Progress;
use crate::scoring::ScoringConfig;
use crate::sources::SourceRun;
use crate::sources::aggregates::{AggregationQuery, Filter};
use crate::sources::strategies::{ROUTING_METRIC_TYPES, StrategiesQuery};

/// The merged table and the job ids behind it, in window order; with the fallback query's
/// table when the plan asks for one.
pub(crate) struct Fetched {
    pub(crate) table: MetricTable,
    pub(crate) job_ids: Vec<String>,
    pub(crate) fallbacks: Option<Fallbacks>,
}

/// Genesys metrics each KPI is derived from.
fn genesys_metrics(kpi: Kpi) -> &'static [&'static str] {
    match kpi {
        Kpi::Offered => &["nOffered"],
        Kpi::Answered | Kpi::AvgSpeedOfAnswer => &["tAnswered"],
        Kpi::HandledCalls | Kpi::AvgHandleTime => &["tHandle"],
        Kpi::AbandonedCalls => &["tAbandon"],
        Kpi::AbandonRate => &["tAbandon", "nOffered"],
        Kpi::ServiceLevel => &["oServiceLevel"],
        Kpi::TransferRate => &["nTransferred", "tAnswered"],
    }
}

/// Metrics to request when the caller named none: what the scoring KPIs need, plus (on the
/// aggregates source) offered, abandons and service level for the confidence figures.
pub(crate) fn default_metrics(source: SourceKind, scoring: &ScoringConfig) -> Vec<String> {
    let kpis = scoring.metrics().filter_map(Kpi::from_name);
    let mut metrics: Vec<&str> = match source {
        SourceKind::Strategies => kpis
            .map(Kpi::name)
            .filter(|name| ROUTING_METRIC_TYPES.contains(name))
            .collect(),
        _ => kpis
            .chain([Kpi::Offered, Kpi::AbandonRate, Kpi::ServiceLevel])
            .flat_map(|k| genesys_metrics(k).iter().copied())
            .collect(),
    };
    let mut seen = std::collections::HashSet::new();
    metrics.retain(|m| seen.insert(*m));
    metrics.into_iter().map(str::to_owned).collect()
}

/// Source-specific checks, added to `problems`.
pub(crate) fn validate(
    plan: &Plan,
    window: Window,
    scoring: &ScoringConfig,
    problems: &mut Vec<ValidationError>,
) {
    if plan.source != SourceKind::Strategies {
        return;
    }
    for metric in scoring.metrics() {
        if Kpi::from_name(metric).is_some() && !ROUTING_METRIC_TYPES.contains(&metric) {
            problems.push(ValidationError::Kpi {
                metric: metric.to_owned(),
                reason: format!(
                    "is not available from the strategies source (it reports {}); drop the KPI or use the aggregates source",
                    ROUTING_METRIC_TYPES.join(", ")
                ),
            });
        }
    }
    // The facade's limits hold for the whole window: it is not split (DESIGN.md). The length
    // of a window of N days does not depend on when it is read, so reading it now is exact.
    problems.extend(strategies_query(plan, window).problems());
}

fn strategies_query(plan: &Plan, window: Window) -> StrategiesQuery {
    StrategiesQuery::new(
        plan.strategy_ids.iter().cloned(),
        plan.metrics.iter().cloned(),
        window.from,
        window.to,
    )
    .group_bys([plan.group_by.clone()])
}

/// The query of one chunk: grouped by the strategy's dimension, then by each within
/// dimension, so that every bucket belongs to one cell.
fn aggregation_query(plan: &Plan, window: Window) -> AggregationQuery {
    let mut query = AggregationQuery::new(window.from, window.to, plan.metrics.iter().cloned())
        .granularity(plan.granularity.clone())
        .time_zone(plan.time_zone.name())
        .group_by(plan.group_by.clone());
    for dimension in &plan.within {
        query = query.group_by(dimension.clone());
    }
    if !plan.strategy_ids.is_empty() {
        query = query.filter(Filter::any_of(
            plan.group_by.clone(),
            plan.strategy_ids.iter().cloned(),
        ));
    }
    if let Some(size) = plan.page_size {
        query = query.page_size(size);
    }
    query
}

/// The fallback query of one chunk: offered interactions by requested and used method.
fn fallback_query(plan: &Plan, window: Window) -> AggregationQuery {
    let mut query = AggregationQuery::new(window.from, window.to, ["nOffered"])
        .time_zone(plan.time_zone.name())
        .group_by(fallbacks::REQUESTED)
        .group_by(fallbacks::USED);
    if let Some(size) = plan.page_size {
        query = query.page_size(size);
    }
    query
}

/// Queries `window` (in chunks where the source allows it) and merges the results in window
/// order; then the fallback table when the plan asks for it. On the first failure the other
/// chunks' futures are dropped, which cancels their jobs.
pub(crate) async fn fetch(
    client: &Client,
    plan: &Plan,
    window: Window,
    progress: &Progress,
) -> Result<Fetched> {
    let runs = fetch_runs(client, plan, window, progress, aggregation_query).await?;
    let mut fetched = Fetched {
        table: MetricTable::new(),
        job_ids: Vec::with_capacity(runs.len()),
        fallbacks: None,
    };
    for run in runs {
        fetched.table.merge(run.table);
        fetched.job_ids.push(run.job_id);
    }
    if plan.fallbacks {
        let mut table = MetricTable::new();
        let fallback_plan = Plan {
            group_by: fallbacks::REQUESTED.into(),
            ..plan.clone()
        };
        for run in fetch_runs(client, &fallback_plan, window, progress, fallback_query).await? {
            table.merge(run.table);
            fetched.job_ids.push(run.job_id);
        }
        fetched.fallbacks = Some(Fallbacks::from_table(&table));
    }
    Ok(fetched)
}

/// One job per chunk of `window` (one for the strategies source), each built by `query`.
async fn fetch_runs(
    client: &Client,
    plan: &Plan,
    window: Window,
    progress: &Progress,
    query: fn(&Plan, Window) -> AggregationQuery,
) -> Result<Vec<SourceRun>> {
    Ok(match plan.source {
        SourceKind::Strategies => {
            let strategies = client.strategies();
            vec![
                strategies
                    .run(&strategies_query(plan, window), progress)
                    .await?,
            ]
        }
        _ => {
            let aggregates = client.aggregates();
            let chunks = window.chunks(plan.max_window_days, plan.time_zone);
            let aggregates = &aggregates;
            stream::iter(chunks)
                .map(|chunk| async move {
                    let query = query(plan, chunk);
                    aggregates.run(&query, &plan.group_by, progress).await
                })
                .buffered(plan.concurrency)
                .try_collect()
                .await?
        }
    })
}
