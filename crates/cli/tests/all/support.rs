//! What the binary's tests share: running `routing-eval` in a controlled environment, and an
//! emulator it reaches as a real Genesys organisation (over HTTP, with credentials).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use routing_eval_emulator::{Emulator, EmulatorBuilder};

/// Every variable `evaluate` reads, removed so the developer's environment cannot leak in.
const CONTROLLED_VARS: [&str; 8] = [
    "GENESYS_API_HOST",
    "GENESYS_REGION",
    "GENESYS_LOGIN_HOST",
    "GENESYS_CLIENT_ID",
    "GENESYS_CLIENT_SECRET",
    "BI_WEBHOOK_URL",
    "BI_WEBHOOK_SECRET",
    "RUST_LOG",
];

pub(crate) fn evaluate(args: &[&str]) -> Command {
    subcommand("evaluate", args)
}

/// `routing-eval <name> <args>` in an environment without any Genesys or webhook setting.
pub(crate) fn subcommand(name: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_routing-eval"));
    cmd.arg(name).args(args);
    for var in CONTROLLED_VARS {
        cmd.env_remove(var);
    }
    // Any other GENESYS_* or BI_WEBHOOK_* name would rule out the emulator (or be refused).
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("GENESYS_") || name.starts_with("BI_WEBHOOK_") {
            cmd.env_remove(&*name);
        }
    }
    cmd
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

pub(crate) fn finished(output: Output) -> Run {
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

pub(crate) fn run(cmd: &mut Command) -> Run {
    finished(cmd.output().expect("the binary runs"))
}

/// Runs the binary off the async runtime, so an emulator in this test keeps serving.
pub(crate) async fn run_beside_runtime(mut cmd: Command) -> Run {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

pub(crate) fn assert_exit(run: &Run, code: i32) {
    assert_eq!(
        run.code, code,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// Asserts that `text` (a run's stdout or stderr) contains `wanted`, showing all of `text`
/// when it does not.
#[track_caller]
pub(crate) fn assert_contains(text: &str, wanted: &str) {
    assert!(text.contains(wanted), "{wanted:?} not in:\n{text}");
}

/// The client id of [`emulator`].
pub(crate) const CLIENT_ID: &str = "cli-test-client";
/// The client secret of [`emulator`].
pub(crate) const CLIENT_SECRET: &str = "cli-test-secret";

/// An emulator accepting [`CLIENT_ID`] and [`CLIENT_SECRET`], with whatever else `configure`
/// sets (a scenario, faults, latency).
pub(crate) async fn emulator(
    configure: impl FnOnce(EmulatorBuilder) -> EmulatorBuilder,
) -> Emulator {
    configure(Emulator::builder().credentials(CLIENT_ID, CLIENT_SECRET))
        .start()
        .await
        .expect("the emulator starts")
}

/// `cmd` pointed at `emulator` as at a Genesys organisation (`GENESYS_API_HOST` and the
/// credentials of [`emulator`]), so the binary does not start its embedded one.
pub(crate) fn against<'a>(cmd: &'a mut Command, emulator: &Emulator) -> &'a mut Command {
    cmd.env("GENESYS_API_HOST", emulator.base_url().as_str())
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
}

/// A run of `evaluate <args> --html FILE`: its output, the page written, and the directory
/// holding the page (removed on drop).
pub(crate) struct HtmlReport {
    pub(crate) run: Run,
    pub(crate) html: String,
    pub(crate) page: std::path::PathBuf,
    pub(crate) dir: tempfile::TempDir,
}

/// Runs `evaluate <args> --html FILE` against `emulator` (the embedded one when `None`),
/// asserts it exits 0, and reads the page back.
pub(crate) async fn html_report(args: &[&str], emulator: Option<&Emulator>) -> HtmlReport {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let mut cmd = evaluate(args);
    cmd.arg("--html").arg(&page);
    if let Some(emulator) = emulator {
        against(&mut cmd, emulator);
    }
    let run = run_beside_runtime(cmd).await;
    assert_exit(&run, 0);
    let html = std::fs::read_to_string(&page).expect("the page was written");
    HtmlReport {
        run,
        html,
        page,
        dir,
    }
}

/// Runs `routing-eval args`, feeding it `stdin` when given (else an empty, closed stdin), and
/// returns its exit code (-1 if killed by a signal), stdout and stderr.
pub(crate) fn routing_eval(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_routing-eval"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
