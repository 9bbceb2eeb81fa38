//! Pure scoring of routing strategies, as `SCORING.md` specifies: normalise each KPI over the
//! cohort, combine by weight, rank, and say how sure the ranking is.
//!
//! No I/O, clock or randomness: the same input gives the same output, bit for bit.
//!
//! ```
//! use genesys_routing_eval::metrics::{Kpis, RawCounts};
//! use genesys_routing_eval::scoring::{score, Cohort, Confidence, ScoringConfig};
//!
//! let bullseye = RawCounts { offered: Some(200), answered: Some(190), answer_time_ms: Some(1_900_000.0),
//!     handled: Some(190), abandoned: Some(10), ..RawCounts::default() };
//! let standard = RawCounts { offered: Some(20), answered: Some(15), answer_time_ms: Some(900_000.0),
//!     handled: Some(15), abandoned: Some(5), ..RawCounts::default() };
//! let config = ScoringConfig::default();
//! let cohort = Cohort::from_kpis([
//!     ("Bullseye", &Kpis::from_counts(&bullseye)),
//!     ("Standard", &Kpis::from_counts(&standard)),
//! ]);
//! let scores = score(&config, &cohort)?;
//! let best = scores.ranked()[0];
//! assert_eq!(best.strategy_id, "Bullseye");
//! assert!(Confidence::from_counts(&standard, config.min_offered).low_confidence);
//! # Ok::<(), genesys_routing_eval::Error>(())
//! ```

mod cohort;
mod confidence;
mod config;
mod engine;
mod ids;
mod ranking;
mod results;

pub use cohort::Cohort;
pub(crate) use cohort::MAX_FILE_METRICS;
pub use confidence::{Confidence, Interval};
pub use config::{
    DEFAULT_MIN_OFFERED, Direction, KpiWeight, MissingPolicy, Normalization, Preset, ScoringConfig,
};
pub use engine::score;
pub use ids::{Iter as StrategyIdsIter, StrategyIds};
pub use results::{ScoreResult, ScoreRow, Scores};
