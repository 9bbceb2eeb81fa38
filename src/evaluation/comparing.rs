//! The comparison step of an evaluation: whether it runs, how it is checked before any
//! request, and the cells it reads from the fetched table.
//!
//! The ranking and the comparison read one fetch: grouped by the treatment and the within
//! dimensions, the table's buckets are the cells' counts, and a strategy's totals (what the
//! ranking scores) are the same buckets summed.

use super::SourceKind;
use crate::comparison::{CellMatch, ComparisonConfig};
use crate::error::ValidationError;
use crate::sources::ROUTING_DIMENSIONS;
use crate::sources::aggregates::{is_conversation_dimension, nearest_dimension};

/// What the caller asked for.
#[derive(Debug, Clone, Default)]
pub(crate) enum Choice {
    /// Compare when the strategies are routing methods on the aggregates source.
    #[default]
    Auto,
    /// Compare with this setting (an error where it cannot run).
    On(ComparisonConfig),
    /// Never compare.
    Off,
}

/// What the plan settled.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Settled {
    /// Compare with this setting (its treatment is the evaluation's grouping).
    Run(ComparisonConfig),
    /// No comparison, and the one line that says why (none when the caller turned it off).
    Skipped(Option<String>),
}

impl Settled {
    /// The setting, when the comparison runs.
    pub(crate) fn config(&self) -> Option<&ComparisonConfig> {
        match self {
            Settled::Run(config) => Some(config),
            Settled::Skipped(_) => None,
        }
    }
}

/// Settles `choice` for an evaluation grouped by `group_by` on `source` at `granularity`,
/// adding every problem of an explicit setting to `problems`.
pub(crate) fn settle(
    choice: &Choice,
    source: SourceKind,
    group_by: &str,
    granularity: &str,
    problems: &mut Vec<ValidationError>,
) -> Settled {
    match choice {
        Choice::Off => Settled::Skipped(None),
        Choice::Auto => auto(source, group_by),
        Choice::On(config) => {
            let before = problems.len();
            check(config, source, group_by, granularity, problems);
            if problems.len() > before {
                return Settled::Skipped(None);
            }
            Settled::Run(ComparisonConfig {
                treatment: group_by.to_owned(),
                ..config.clone()
            })
        }
    }
}

/// The default: within `queueId`, per bucket, baseline the most offered, where it means
/// something; otherwise the reason in one line.
fn auto(source: SourceKind, group_by: &str) -> Settled {
    if source == SourceKind::Strategies {
        return Settled::Skipped(Some(
            "no comparison: the strategies source has no per-queue cells to compare like with like"
                .into(),
        ));
    }
    if !ROUTING_DIMENSIONS.contains(&group_by) {
        return Settled::Skipped(Some(format!(
            "no comparison: strategies grouped by {group_by} are not routing methods sharing traffic (group by usedRouting or requestedRouting to compare)"
        )));
    }
    Settled::Run(ComparisonConfig {
        treatment: group_by.to_owned(),
        ..ComparisonConfig::default()
    })
}

/// Problems of an explicit setting that the comparison engine cannot see: the source, the
/// grouping and the granularity.
fn check(
    config: &ComparisonConfig,
    source: SourceKind,
    group_by: &str,
    granularity: &str,
    problems: &mut Vec<ValidationError>,
) {
    let invalid = |reason: String| ValidationError::Invalid {
        name: "comparison".into(),
        reason,
    };
    if source == SourceKind::Strategies {
        problems.push(invalid(
            "needs the aggregates source: the strategies source has no cells (no per-queue counts); drop the comparison or use the aggregates source".into(),
        ));
    }
    if config.treatment != group_by && config.treatment != ComparisonConfig::default().treatment {
        problems.push(invalid(format!(
            "compares by {} but the evaluation groups by {group_by}; the treatment is the evaluation's grouping, so set one of them",
            config.treatment
        )));
    }
    for dimension in &config.within {
        if dimension == group_by {
            problems.push(invalid(format!(
                "within {dimension} is the treatment itself; a cell must hold the treatment's values side by side (use queueId, say)"
            )));
        } else if !is_conversation_dimension(dimension) {
            problems.push(invalid(format!(
                "within `{dimension}` is not a conversation aggregate dimension; did you mean `{}`?",
                nearest_dimension(dimension)
            )));
        }
    }
    if config.cell_match == CellMatch::HourOfDay && !divides_an_hour(granularity) {
        problems.push(invalid(format!(
            "match hour-of-day needs a granularity that divides an hour (PT15M, PT30M or PT1H), not {granularity}"
        )));
    }
}

/// Whether buckets of `granularity` each fall within one hour of the day.
fn divides_an_hour(granularity: &str) -> bool {
    matches!(granularity, "PT15M" | "PT30M" | "PT60M" | "PT1H")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::CellTable;
    use crate::metrics::{Bucket, MetricTable, RawCounts};

    fn table() -> MetricTable {
        let counts = |n| RawCounts {
            offered: Some(n),
            ..RawCounts::default()
        };
        let mut table = MetricTable::with_within(vec!["queueId".into()]);
        for (strategy, queue, interval, n) in [
            (
                "Standard",
                "q1",
                "2024-05-01T08:00:00.000Z/2024-05-01T09:00:00.000Z",
                3,
            ),
            (
                "Standard",
                "q1",
                "2024-05-02T08:00:00.000Z/2024-05-02T09:00:00.000Z",
                4,
            ),
            (
                "Predictive",
                "q1",
                "2024-05-02T08:00:00.000Z/2024-05-02T09:00:00.000Z",
                5,
            ),
            (
                "Predictive",
                "q2",
                "2024-05-02T09:00:00.000Z/2024-05-02T10:00:00.000Z",
                6,
            ),
        ] {
            table.push_bucket(
                strategy,
                Bucket::new(interval, counts(n)).in_cell(vec![queue.into()]),
            );
        }
        table
    }

    #[test]
    fn cells_key_by_within_values_and_the_matched_time() {
        let by_bucket = CellTable::from_metric_table(&table(), CellMatch::Bucket, chrono_tz::UTC);
        assert_eq!(by_bucket.len(), 4, "(cell, strategy) pairs");
        let hours =
            CellTable::from_metric_table(&table(), CellMatch::HourOfDay, chrono_tz::Europe::Berlin);
        assert_eq!(
            hours.get(&["q1", "10"], "Standard").and_then(|c| c.offered),
            Some(7),
            "08:00 UTC is 10:00 in Berlin in May; both days pool"
        );
        let window = CellTable::from_metric_table(&table(), CellMatch::Window, chrono_tz::UTC);
        assert_eq!(window.len(), 3);
        assert_eq!(
            window.get(&["q2"], "Predictive").and_then(|c| c.offered),
            Some(6)
        );
    }

    #[test]
    fn automatic_comparison_runs_for_routing_methods_on_the_aggregates_source_only() {
        assert!(matches!(
            auto(SourceKind::Aggregates, "requestedRouting"),
            Settled::Run(c) if c.treatment == "requestedRouting" && c.within == ["queueId"]
        ));
        let Settled::Skipped(Some(why)) = auto(SourceKind::Aggregates, "queueId") else {
            panic!("grouped by queue");
        };
        assert!(
            why.contains("queueId") && why.contains("usedRouting"),
            "{why}"
        );
        assert!(matches!(
            auto(SourceKind::Strategies, "strategyId"),
            Settled::Skipped(Some(_))
        ));
    }

    #[test]
    fn an_explicit_setting_is_checked_against_the_evaluation() {
        let mut problems = Vec::new();
        let config = ComparisonConfig::builder()
            .within(["requestedRouting", "queueld"])
            .cell_match(CellMatch::HourOfDay)
            .build()
            .unwrap();
        let settled = settle(
            &Choice::On(config),
            SourceKind::Aggregates,
            "requestedRouting",
            "P1D",
            &mut problems,
        );
        assert_eq!(settled, Settled::Skipped(None));
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].contains("treatment itself"), "{text:?}");
        assert!(text[1].contains("`queueId`"), "{text:?}");
        assert!(text[2].contains("PT1H"), "{text:?}");
    }
}
