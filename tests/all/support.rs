//! What the integration tests share: the emulator, a client for it, and a manual clock.

use std::path::Path;
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

/// The `*.json` vector files in `dir`, sorted; fails when there are none.
pub(crate) fn vector_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("vectors folder {} unreadable: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.json vectors in {}", dir.display());
    files
}

/// The repository keeps its own copy of each vector set (a clone has no `../shared`); where the
/// shared originals (`../shared/vectors/<set>`) sit beside the repository, the copy at `copy`
/// must equal them file for file.
pub(crate) fn assert_copy_equals_shared(copy: &Path, set: &str) {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/vectors")
        .join(set);
    if !shared.is_dir() {
        println!(
            "skipped: no shared vectors at {}, nothing to compare the copy with",
            shared.display()
        );
        return;
    }
    let names = |dir: &Path| -> Vec<std::ffi::OsString> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .filter(|name| Path::new(name).extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(copy), names(&shared), "the same vector files");
    for name in names(copy) {
        assert!(
            std::fs::read(copy.join(&name)).unwrap() == std::fs::read(shared.join(&name)).unwrap(),
            "{} differs from the shared vector; copy it again from {}",
            copy.join(&name).display(),
            shared.display()
        );
    }
}

/// A client for `emu` on a manual clock with no jitter, ready to use.
pub(crate) fn emulator_client(emu: &Emulator) -> Client {
    client_builder(
        emu,
        clock().time_source(genesys_routing_eval::time::FixedJitter(1.0)),
    )
    .build()
    .expect("client builds")
}

/// An evaluation of the week of 2026-03-01 on `emu`, every observed strategy.
pub(crate) fn march_week(emu: &Emulator) -> genesys_routing_eval::evaluation::EvaluationBuilder {
    use chrono::TimeZone;
    genesys_routing_eval::evaluation::Evaluation::builder()
        .client(emulator_client(emu))
        .between(
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 8, 0, 0, 0).unwrap(),
        )
}

/// `builder` built and run; panics on a validation or run error.
pub(crate) async fn run_evaluation(
    builder: genesys_routing_eval::evaluation::EvaluationBuilder,
) -> genesys_routing_eval::evaluation::Outcome {
    builder
        .build()
        .expect("the evaluation builds")
        .run()
        .await
        .expect("the evaluation runs")
}
