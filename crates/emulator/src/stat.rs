//! The additive statistics of one series of values (a metric, or a view over one), and how
//! Genesys renders those of a timer: `{"max", "min", "count", "sum"}`.
//!
//! Both a bucket's metrics (`data.rs`) and its user-defined views (`views.rs`) accumulate and
//! render through this one type, so a view over a metric's whole range is its metric exactly.

use serde_json::{Value, json};

/// Count, sum, minimum and maximum of the values recorded (milliseconds for timers).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Stat {
    pub(crate) count: u64,
    pub(crate) sum: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
}

impl Stat {
    /// One value: counted, summed, and kept if it is a new minimum or maximum.
    pub(crate) fn record(&mut self, value: u64) {
        if self.count == 0 || value < self.min {
            self.min = value;
        }
        self.max = self.max.max(value);
        self.count += 1;
        self.sum += value;
    }

    /// `n` events without a value (an `n*` count metric).
    pub(crate) fn tick(&mut self, n: u64) {
        self.count += n;
    }

    /// The `stats` object of a timer as Genesys sends it (numbers of milliseconds as floats,
    /// the count an integer).
    pub(crate) fn timer_json(&self) -> Value {
        json!({
            "max": self.max as f64,
            "min": self.min as f64,
            "count": self.count,
            "sum": self.sum as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_sum_min_and_max_and_renders_them_as_a_timer() {
        let mut stat = Stat::default();
        for value in [7000, 4000, 9000] {
            stat.record(value);
        }
        assert_eq!(
            stat.timer_json(),
            json!({"max": 9000.0, "min": 4000.0, "count": 3, "sum": 20000.0})
        );
        stat.tick(2);
        assert_eq!((stat.count, stat.sum), (5, 20000));
    }
}
