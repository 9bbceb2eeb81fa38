//! The fallback table: how each requested routing method's interactions were delivered.
//!
//! Grouping by `usedRouting` compares methods *as treated*. When Predictive times out and
//! Standard delivers the interaction, the hard-to-place interactions move from Predictive's
//! column to Standard's, which flatters Predictive. One extra query grouped by
//! `[requestedRouting, usedRouting]` shows how large that movement is.

use serde::{Deserialize, Serialize};

use crate::metrics::MetricTable;

/// The dimension a fallback table's rows are keyed by.
pub const REQUESTED: &str = "requestedRouting";
/// The dimension a fallback table's columns are keyed by.
pub const USED: &str = "usedRouting";

/// Share of each requested routing method's offered interactions delivered by each used
/// method.
///
/// Rows are ordered by the requested method's offered total (largest first, then by name),
/// and within it by the used method's offered count the same way.
///
/// # Example
/// ```
/// use genesys_routing_eval::evaluation::Fallbacks;
/// use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts};
///
/// let offered = |n| RawCounts { offered: Some(n), ..RawCounts::default() };
/// let mut table = MetricTable::with_within(vec!["usedRouting".into()]);
/// table.push_bucket("Predictive", Bucket::new("i", offered(90)).in_cell(vec!["Predictive".into()]));
/// table.push_bucket("Predictive", Bucket::new("i", offered(10)).in_cell(vec!["Standard".into()]));
///
/// let fallbacks = Fallbacks::from_table(&table);
/// assert_eq!(fallbacks.share("Predictive", "Standard"), Some(0.1));
/// assert_eq!(fallbacks.delivered_otherwise("Predictive"), Some(0.1));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Fallbacks {
    /// One row per (requested, used) pair that had interactions.
    pub rows: Vec<FallbackRow>,
}

/// Interactions requested with one method and delivered by another (or the same).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FallbackRow {
    /// The method that was requested (`requestedRouting`).
    pub requested: String,
    /// The method that delivered (`usedRouting`); empty when the interaction was never
    /// routed (abandoned first).
    pub used: String,
    /// Interactions offered with this pair.
    pub offered: u64,
    /// `offered` over every interaction that requested `requested`.
    pub share: f64,
}

impl Fallbacks {
    /// The table of a metric table whose strategies are `requestedRouting` values and whose
    /// one within dimension is `usedRouting`, counting `offered`.
    pub fn from_table(table: &MetricTable) -> Self {
        let mut requested: Vec<(&str, Vec<(&str, u64)>)> = table
            .strategies()
            .map(|s| {
                let mut used: Vec<(&str, u64)> = Vec::new();
                for bucket in s.buckets() {
                    let method = bucket.within().first().map_or("", String::as_str);
                    let n = bucket.counts().offered.unwrap_or(0);
                    match used.iter_mut().find(|(m, _)| *m == method) {
                        Some((_, total)) => *total += n,
                        None => used.push((method, n)),
                    }
                }
                used.retain(|(_, n)| *n > 0);
                used.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
                (s.id(), used)
            })
            .collect();
        let total = |used: &[(&str, u64)]| used.iter().map(|(_, n)| n).sum::<u64>();
        requested.sort_by(|a, b| total(&b.1).cmp(&total(&a.1)).then_with(|| a.0.cmp(b.0)));
        let rows = requested
            .iter()
            .flat_map(|(method, used)| {
                let all = total(used) as f64;
                used.iter().map(move |(by, n)| FallbackRow {
                    requested: (*method).to_owned(),
                    used: (*by).to_owned(),
                    offered: *n,
                    share: *n as f64 / all,
                })
            })
            .collect();
        Fallbacks { rows }
    }

    /// The share of `requested`'s interactions that `used` delivered; `None` when `requested`
    /// had none.
    pub fn share(&self, requested: &str, used: &str) -> Option<f64> {
        let mut any = false;
        let mut share = 0.0;
        for row in self.rows.iter().filter(|r| r.requested == requested) {
            any = true;
            if row.used == used {
                share = row.share;
            }
        }
        any.then_some(share)
    }

    /// The share of `requested`'s interactions that another method (or none) delivered:
    /// the fallback rate; `None` when `requested` had none.
    pub fn delivered_otherwise(&self, requested: &str) -> Option<f64> {
        let (mut other, mut all) = (0u64, 0u64);
        for row in self.rows.iter().filter(|r| r.requested == requested) {
            all += row.offered;
            if row.used != requested {
                other += row.offered;
            }
        }
        (all > 0).then(|| other as f64 / all as f64)
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{Bucket, RawCounts};

    fn table(rows: &[(&str, &str, u64)]) -> MetricTable {
        let mut table = MetricTable::with_within(vec![USED.into()]);
        for (requested, used, n) in rows {
            let counts = RawCounts {
                offered: Some(*n),
                ..RawCounts::default()
            };
            table.push_bucket(
                requested,
                Bucket::new("i", counts).in_cell(vec![(*used).into()]),
            );
        }
        table
    }

    #[test]
    fn shares_add_up_to_one_per_requested_method_and_buckets_are_summed() {
        let fallbacks = Fallbacks::from_table(&table(&[
            ("Predictive", "Predictive", 60),
            ("Predictive", "Standard", 15),
            ("Predictive", "Predictive", 20),
            ("Standard", "Standard", 40),
            ("Predictive", "", 5),
        ]));
        let requested: Vec<(&str, &str, u64)> = fallbacks
            .rows
            .iter()
            .map(|r| (r.requested.as_str(), r.used.as_str(), r.offered))
            .collect();
        assert_eq!(
            requested,
            [
                ("Predictive", "Predictive", 80),
                ("Predictive", "Standard", 15),
                ("Predictive", "", 5),
                ("Standard", "Standard", 40),
            ]
        );
        assert_eq!(fallbacks.share("Predictive", "Standard"), Some(0.15));
        assert_eq!(fallbacks.delivered_otherwise("Predictive"), Some(0.2));
        assert_eq!(fallbacks.delivered_otherwise("Standard"), Some(0.0));
        assert_eq!(fallbacks.share("Bullseye", "Standard"), None);
    }

    #[test]
    fn pairs_without_interactions_are_left_out() {
        let fallbacks = Fallbacks::from_table(&table(&[("Predictive", "Standard", 0)]));
        assert!(fallbacks.is_empty());
        assert_eq!(fallbacks.share("Predictive", "Standard"), None);
    }
}
