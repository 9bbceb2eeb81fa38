//! Scoring results: per row in input order, and a ranked view.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};

use super::config::KpiWeight;
use super::ids::StrategyIds;

/// The scores of a cohort, one row per input row in input order.
///
/// Serialises as a list of rows (see [`ScoreRow`]). Stored by column, so a million rows hold
/// a million strategy ids and a few flat vectors, nothing per row besides.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    kpis: Vec<KpiWeight>,
    ids: Arc<StrategyIds>,
    scores: Vec<f64>,
    percentile: Vec<f64>,
    /// Column-major: row `i`'s KPI `j` is at `j * len + i`.
    normalized: Vec<f64>,
}

/// One row's result, borrowed from [`Scores`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ScoreRow<'a> {
    /// Position in the input.
    pub index: usize,
    /// The strategy.
    pub strategy_id: &'a str,
    /// Weighted score in 0..=1; `None` when unscored (no present KPI of positive weight).
    pub score: Option<f64>,
    /// Share of the total weight whose KPIs were present, 0..=1.
    pub coverage: f64,
    /// pandas-style percentile rank among scored rows, in (0, 1]; `None` when unscored.
    pub percentile_rank: Option<f64>,
    kpis: &'a [KpiWeight],
    /// Every row's normalised values, column-major; this row's KPI `j` is at
    /// `j * rows + index`.
    normalized: &'a [f64],
    rows: usize,
}

/// The sum of the KPI weights, as scoring computes it.
pub(crate) fn total_weight(kpis: &[KpiWeight]) -> f64 {
    kpis.iter().map(|k| k.weight).sum()
}

fn finite(v: f64) -> Option<f64> {
    Some(v).filter(|v| v.is_finite())
}

impl Scores {
    pub(crate) fn new(
        kpis: Vec<KpiWeight>,
        ids: Arc<StrategyIds>,
        scores: Vec<f64>,
        percentile: Vec<f64>,
        normalized: Vec<f64>,
    ) -> Self {
        Scores {
            kpis,
            ids,
            scores,
            percentile,
            normalized,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The KPIs scored, in config order (the order of [`ScoreRow::normalized`]).
    pub fn kpis(&self) -> &[KpiWeight] {
        &self.kpis
    }

    /// Row `index`, in input order.
    pub fn get(&self, index: usize) -> Option<ScoreRow<'_>> {
        let id = self.ids.get(index)?;
        Some(ScoreRow {
            index,
            strategy_id: id,
            score: finite(self.scores[index]),
            coverage: self.coverage(index),
            percentile_rank: finite(self.percentile[index]),
            kpis: &self.kpis,
            normalized: &self.normalized,
            rows: self.ids.len(),
        })
    }

    /// The strategy ids, in input order.
    pub fn ids(&self) -> &StrategyIds {
        &self.ids
    }

    /// Row `index`'s share of the total weight whose KPIs are present: the weights of its
    /// normalised values that are not missing, added in config order, as scoring adds them.
    /// Derived rather than stored, so a million rows keep one vector fewer.
    fn coverage(&self, index: usize) -> f64 {
        let rows = self.len();
        let present = self
            .kpis
            .iter()
            .enumerate()
            .filter(|(j, _)| !self.normalized[j * rows + index].is_nan())
            .fold(0.0_f64, |present, (_, kpi)| present + kpi.weight);
        present / total_weight(&self.kpis)
    }

    /// The first row for `strategy_id`.
    pub fn by_strategy(&self, strategy_id: &str) -> Option<ScoreRow<'_>> {
        let index = self.ids.iter().position(|id| id == strategy_id)?;
        self.get(index)
    }

    /// Every row, in input order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = ScoreRow<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i).expect("index in range"))
    }

    /// The sorted view: score descending, then strategy id ascending, unscored rows last.
    pub fn ranked(&self) -> Vec<ScoreRow<'_>> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| finite(self.scores[i]);
            match (key(a), key(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| self.ids[a].cmp(&self.ids[b]))
        });
        order
            .into_iter()
            .map(|i| self.get(i).expect("index in range"))
            .collect()
    }

    /// Every row as an owned [`ScoreResult`], in input order.
    pub fn to_results(&self) -> Vec<ScoreResult> {
        self.iter().map(|r| r.to_result()).collect()
    }
}

impl<'a> ScoreRow<'a> {
    /// The normalised value of each KPI in config order, `None` where missing.
    pub fn normalized(&self) -> impl ExactSizeIterator<Item = (&'a str, Option<f64>)> + 'a {
        let (normalized, rows, index) = (self.normalized, self.rows, self.index);
        self.kpis
            .iter()
            .enumerate()
            .map(move |(j, k)| (k.metric.as_str(), finite(normalized[j * rows + index])))
    }

    /// The normalised value of the KPI on `metric`; `None` when it is missing or not scored.
    pub fn normalized_value(&self, metric: &str) -> Option<f64> {
        self.normalized()
            .find(|(name, _)| *name == metric)
            .and_then(|(_, v)| v)
    }

    /// An owned copy.
    pub fn to_result(&self) -> ScoreResult {
        ScoreResult {
            strategy_id: self.strategy_id.to_owned(),
            score: self.score,
            coverage: self.coverage,
            percentile_rank: self.percentile_rank,
            normalized: self
                .normalized()
                .map(|(name, v)| (name.to_owned(), v))
                .collect(),
        }
    }
}

impl Serialize for ScoreRow<'_> {
    /// `{"strategyId", "score", "coverage", "percentileRank", "normalized": {metric: n}}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Normalized<'b>(&'b ScoreRow<'b>);
        impl Serialize for Normalized<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.kpis.len()))?;
                for (name, v) in self.0.normalized() {
                    map.serialize_entry(name, &v)?;
                }
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(5))?;
        map.serialize_entry("strategyId", self.strategy_id)?;
        map.serialize_entry("score", &self.score)?;
        map.serialize_entry("coverage", &self.coverage)?;
        map.serialize_entry("percentileRank", &self.percentile_rank)?;
        map.serialize_entry("normalized", &Normalized(self))?;
        map.end()
    }
}

impl Serialize for Scores {
    /// A list of [`ScoreRow`]s in input order.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for row in self.iter() {
            seq.serialize_element(&row)?;
        }
        seq.end()
    }
}

/// One row's result, owned: what [`ScoreRow`] serialises to, and reads back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ScoreResult {
    /// The strategy.
    pub strategy_id: String,
    /// Weighted score in 0..=1; `None` when unscored.
    pub score: Option<f64>,
    /// Share of the total weight whose KPIs were present.
    pub coverage: f64,
    /// Percentile rank among scored rows; `None` when unscored.
    pub percentile_rank: Option<f64>,
    /// Normalised value per KPI metric, `None` where missing.
    #[serde(default)]
    pub normalized: BTreeMap<String, Option<f64>>,
}
