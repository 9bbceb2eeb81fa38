//! What the integration tests share: the emulator, a client for it, and a manual clock.

use std::time::Duration;

use chrono::{Timelike, Utc};
use genesys_routing_eval::time::{ManualClock, TimeSource};
use genesys_routing_eval::{Client, ClientBuilder};
use routing_eval_emulator::{Emulator, EmulatorBuilder};

/// An emulator whose jobs are `FULFILLED` at once, with whatever else `configure` sets.
pub(crate) async fn emulator(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> Emulator {
    configure(Emulator::builder().job_latency(Duration::ZERO))
        .start()
        .await
        .expect("emulator starts")
}

/// A clock reading the real time (whole seconds), so receivers checking timestamp tolerance
/// accept the signatures, and that records waits instead of sleeping.
pub(crate) fn clock() -> ManualClock {
    ManualClock::new(Utc::now().with_nanosecond(0).unwrap())
}

/// A client builder for `emu`'s API and credentials, waiting through `time`.
pub(crate) fn client_builder(emu: &Emulator, time: TimeSource) -> ClientBuilder {
    Client::builder()
        .api_base(emu.base_url().as_str())
        .credentials(emu.client_id(), emu.client_secret().to_owned())
        .time_source(time)
}
