//! The cells of a fetched [`MetricTable`]: each bucket's within values and its time key.

use chrono::DateTime;
use chrono_tz::Tz;

use super::{CellMatch, CellTable};
use crate::metrics::MetricTable;

impl CellTable {
    /// The cells of `table` for `matching`: each bucket's [`within`](crate::metrics::Bucket::within)
    /// values and its time key (the bucket itself, its local hour of the day in `time_zone`,
    /// or nothing for the whole window). A bucket whose interval start does not parse keys by
    /// the whole interval, as the bucket match does.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::comparison::{CellMatch, CellTable};
    /// use genesys_routing_eval::metrics::{Bucket, MetricTable, RawCounts};
    ///
    /// let offered = |n| RawCounts { offered: Some(n), ..RawCounts::default() };
    /// let mut table = MetricTable::with_within(vec!["queueId".into()]);
    /// for day in ["2024-05-01", "2024-05-02"] {
    ///     let interval = format!("{day}T08:00:00Z/{day}T09:00:00Z");
    ///     let bucket = Bucket::new(interval, offered(3)).in_cell(vec!["q1".into()]);
    ///     table.push_bucket("Standard", bucket);
    /// }
    /// let hours = CellTable::from_metric_table(&table, CellMatch::HourOfDay, chrono_tz::Europe::Berlin);
    /// assert_eq!(hours.get(&["q1", "10"], "Standard").and_then(|c| c.offered), Some(6));
    /// ```
    pub fn from_metric_table(table: &MetricTable, matching: CellMatch, time_zone: Tz) -> Self {
        let mut cells = CellTable::new();
        for strategy in &table.strategies {
            for bucket in &strategy.buckets {
                let key = time_key(&bucket.interval, matching, time_zone);
                let cell = bucket
                    .within
                    .iter()
                    .map(String::as_str)
                    .chain(key.as_deref());
                cells.add(cell, &strategy.strategy_id, &bucket.counts);
            }
        }
        cells
    }
}

/// The time part of a bucket's cell.
fn time_key(interval: &str, matching: CellMatch, time_zone: Tz) -> Option<String> {
    match matching {
        CellMatch::Window => None,
        CellMatch::HourOfDay => {
            let start = interval.split('/').next().unwrap_or(interval);
            match DateTime::parse_from_rfc3339(start) {
                Ok(start) => Some(start.with_timezone(&time_zone).format("%H").to_string()),
                Err(_) => Some(interval.to_owned()),
            }
        }
        _ => Some(interval.to_owned()),
    }
}
