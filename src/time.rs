//! Time and randomness as dependencies.
//!
//! Retries, polling, token expiry and latency measurement read time only through
//! [`Clock`], wait only through [`Sleeper`], and draw backoff jitter only through [`Jitter`].
//! Production uses [`SystemClock`], [`TokioSleeper`] and [`RandomJitter`]; tests swap in the
//! `test-util` feature's [`ManualClock`], which records every wait
//! and advances instantly, so a test of "waits 7 s after `Retry-After: 7`" runs in
//! milliseconds and asserts the 7 s.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// A source of time: wall-clock for timestamps and expiry, monotonic for deadlines.
pub trait Clock: Send + Sync + Debug {
    /// Wall-clock time, for timestamps and token expiry.
    fn now(&self) -> DateTime<Utc>;
    /// Monotonic time since an arbitrary fixed origin, for deadlines and latency.
    fn elapsed(&self) -> Duration;
}

/// Something that waits: the tokio timer in production, `ManualClock` in tests.
#[async_trait::async_trait]
pub trait Sleeper: Send + Sync + Debug {
    /// Completes after `duration`.
    async fn sleep(&self, duration: Duration);
}

/// A source of backoff jitter: random in production, fixed in tests.
pub trait Jitter: Send + Sync + Debug {
    /// A duration uniformly drawn from `[0, upper]` ("full jitter").
    fn full(&self, upper: Duration) -> Duration;
}

/// The system's clocks: [`Clock`] in production.
#[derive(Debug, Clone)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// Sleeps on the tokio timer.
#[derive(Debug, Clone, Default)]
pub struct TokioSleeper;

#[async_trait::async_trait]
impl Sleeper for TokioSleeper {
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Jitter from a fast non-cryptographic generator.
#[derive(Debug, Clone, Default)]
pub struct RandomJitter;

impl Jitter for RandomJitter {
    fn full(&self, upper: Duration) -> Duration {
        let nanos = upper.as_nanos().min(u64::MAX as u128) as u64;
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// The clock, sleeper and jitter one client uses, shared by everything it drives.
#[derive(Debug, Clone)]
pub struct TimeSource {
    /// Reads the time.
    pub clock: Arc<dyn Clock>,
    /// Waits.
    pub sleeper: Arc<dyn Sleeper>,
    /// Draws jitter.
    pub jitter: Arc<dyn Jitter>,
}

impl Default for TimeSource {
    fn default() -> Self {
        TimeSource {
            clock: Arc::new(SystemClock::default()),
            sleeper: Arc::new(TokioSleeper),
            jitter: Arc::new(RandomJitter),
        }
    }
}

#[cfg(any(test, feature = "test-util"))]
pub use manual::{FixedJitter, ManualClock};

#[cfg(any(test, feature = "test-util"))]
mod manual {
    use super::*;
    use std::sync::Mutex;

    /// A clock that only moves when slept on or advanced, recording every wait.
    ///
    /// It is its own [`Sleeper`]: `sleep(d)` records `d`, advances the clock by `d` and
    /// returns at once (after yielding to the scheduler, so other tasks run). Feature
    /// `test-util`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[derive(Debug, Clone)]
    pub struct ManualClock {
        state: Arc<Mutex<State>>,
    }

    #[derive(Debug)]
    struct State {
        wall: DateTime<Utc>,
        elapsed: Duration,
        sleeps: Vec<Duration>,
    }

    impl ManualClock {
        /// A clock reading `start`.
        pub fn new(start: DateTime<Utc>) -> Self {
            ManualClock {
                state: Arc::new(Mutex::new(State {
                    wall: start,
                    elapsed: Duration::ZERO,
                    sleeps: Vec::new(),
                })),
            }
        }

        /// Moves the clock forward without recording a sleep.
        pub fn advance(&self, by: Duration) {
            let mut s = self.state.lock().expect("clock lock");
            s.elapsed += by;
            s.wall += chrono::Duration::from_std(by).expect("duration in range");
        }

        /// Every duration slept so far, in order.
        pub fn sleeps(&self) -> Vec<Duration> {
            self.state.lock().expect("clock lock").sleeps.clone()
        }

        /// A [`TimeSource`] using this clock as clock and sleeper, with `jitter`.
        pub fn time_source(&self, jitter: impl Jitter + 'static) -> TimeSource {
            TimeSource {
                clock: Arc::new(self.clone()),
                sleeper: Arc::new(self.clone()),
                jitter: Arc::new(jitter),
            }
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            self.state.lock().expect("clock lock").wall
        }
        fn elapsed(&self) -> Duration {
            self.state.lock().expect("clock lock").elapsed
        }
    }

    #[async_trait::async_trait]
    impl Sleeper for ManualClock {
        async fn sleep(&self, duration: Duration) {
            {
                let mut s = self.state.lock().expect("clock lock");
                s.sleeps.push(duration);
            }
            self.advance(duration);
            tokio::task::yield_now().await;
        }
    }

    /// Jitter that always returns the same fraction of the upper bound. Feature `test-util`.
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    #[derive(Debug, Clone, Copy)]
    pub struct FixedJitter(pub f64);

    impl Jitter for FixedJitter {
        fn full(&self, upper: Duration) -> Duration {
            upper.mul_f64(self.0.clamp(0.0, 1.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_jitter_stays_within_bounds() {
        let j = RandomJitter;
        for _ in 0..1000 {
            assert!(j.full(Duration::from_millis(250)) <= Duration::from_millis(250));
        }
        assert_eq!(j.full(Duration::ZERO), Duration::ZERO);
    }

    #[tokio::test]
    async fn manual_clock_records_sleeps_and_advances() {
        let clock = ManualClock::new(DateTime::<Utc>::UNIX_EPOCH);
        clock.sleep(Duration::from_secs(7)).await;
        clock.sleep(Duration::from_millis(500)).await;
        assert_eq!(
            clock.sleeps(),
            vec![Duration::from_secs(7), Duration::from_millis(500)]
        );
        assert_eq!(clock.elapsed(), Duration::from_millis(7500));
        assert_eq!(clock.now().timestamp_millis(), 7500);
    }
}
