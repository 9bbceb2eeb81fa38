//! Conformance: two official Genesys Cloud SDKs run the aggregates API end to end against
//! `routing-eval emulate`.
//!
//! - Python (`purecloudplatformclientv2`, pinned in `tests/conformance/requirements.txt`):
//!   token, submit, poll to FULFILLED, every results page decoded by the SDK's own models. The
//!   SDK lives in a virtualenv under the target directory, created on first use and reused
//!   while the requirements file is unchanged. Skipped, with the reason printed, only when
//!   `python3` is missing.
//! - JavaScript (`purecloud-platform-client-v2`, pinned in `tests/conformance/js/package.json`
//!   and its `package-lock.json`), pointed at the emulator with `ApiClient.setGateway`: token,
//!   submit, poll, every page, cancel, unknown job, the synchronous query with views and topN,
//!   and the error cases. `npm ci` installs it under the target directory, again only while
//!   the lockfile differs from the installed one. Skipped, saying so, only when `node` or
//!   `npm` is missing.
//!
//! Any other failure (no venv module, pip or npm failing) fails the test.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const CLIENT_ID: &str = "conformance-client";
const CLIENT_SECRET: &str = "conformance-secret";

fn repo_file(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn python3_available() -> bool {
    available("python3")
}

fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn run(command: &mut Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The virtualenv's python, with the pinned requirements installed.
fn sdk_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-venv");
    let python = venv.join("bin").join("python");
    let requirements = repo_file("tests/conformance/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).expect("requirements file");
    let marker = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        // Start clean: a run interrupted half-way must not leave a venv that cannot install.
        run(
            Command::new("python3")
                .args(["-m", "venv", "--clear"])
                .arg(&venv),
            "python3 -m venv",
        );
        run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    "-r",
                ])
                .arg(&requirements),
            "pip install -r tests/conformance/requirements.txt",
        );
        std::fs::write(&marker, &wanted).expect("write the install marker");
    }
    python
}

/// `routing-eval emulate`, stopped when dropped.
struct Served {
    child: Child,
    base_url: String,
}

impl Served {
    fn start() -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_routing-eval"))
            .args([
                "emulate",
                "--port",
                "0",
                "--seed",
                "7",
                "--job-latency-ms",
                "300",
            ])
            .env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("routing-eval emulate starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut first_line = String::new();
        BufReader::new(stdout)
            .read_line(&mut first_line)
            .expect("read the base URL");
        let base_url = first_line.trim().to_owned();
        assert!(
            base_url.starts_with("http://127.0.0.1:"),
            "emulate printed `{base_url}` instead of its base URL"
        );
        Served { child, base_url }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn official_python_sdk_runs_an_aggregates_job_against_the_emulator() {
    if !python3_available() {
        // Straight to stderr: the test harness captures println!, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "skipping the SDK conformance test: python3 is not installed"
        );
        return;
    }
    let python = sdk_python();
    let served = Served::start();
    let output = Command::new(&python)
        .arg(repo_file("tests/conformance/sdk_aggregates_job.py"))
        .args([served.base_url.as_str(), CLIENT_ID, CLIENT_SECRET])
        .output()
        .expect("run the SDK script");
    assert_conformance_ok(&output, "the SDK script");
}

/// Asserts that an SDK script exited successfully and said `conformance ok`, and shows what it
/// printed.
fn assert_conformance_ok(output: &std::process::Output, script: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{script} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("conformance ok"), "{stdout}");
    let _ = writeln!(std::io::stderr(), "{}", stdout.trim());
}

/// The folder whose `node_modules` holds the pinned JavaScript SDK, installed by `npm ci`
/// from the committed lockfile when it is not installed yet (or the lockfile changed).
fn sdk_node_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("conformance-js");
    let source = repo_file("tests/conformance/js");
    let lock =
        std::fs::read_to_string(source.join("package-lock.json")).expect("package-lock.json");
    let marker = folder.join("installed-package-lock.json");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(lock.as_str()) {
        // Start clean: a half-done install must not survive into the next run.
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).expect("create the npm folder");
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(source.join(file), folder.join(file)).expect("copy the npm manifest");
        }
        run(
            Command::new("npm")
                .args([
                    "ci",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ])
                .current_dir(&folder),
            "npm ci (tests/conformance/js)",
        );
        std::fs::write(&marker, &lock).expect("write the install marker");
    }
    folder
}

#[test]
fn official_javascript_sdk_runs_the_aggregates_api_against_the_emulator() {
    if let Some(missing) = ["node", "npm"].into_iter().find(|p| !available(p)) {
        let _ = writeln!(
            std::io::stderr(),
            "skipping the JavaScript SDK conformance test: {missing} is not installed"
        );
        return;
    }
    let folder = sdk_node_folder();
    let served = Served::start();
    let output = Command::new("node")
        .arg(repo_file("tests/conformance/js/sdk_aggregates_job.js"))
        .args([served.base_url.as_str(), CLIENT_ID, CLIENT_SECRET])
        // The script lives in the repository, the SDK in the throwaway folder.
        .env("NODE_PATH", folder.join("node_modules"))
        .current_dir(&folder)
        .output()
        .expect("run the SDK script");
    assert_conformance_ok(&output, "the JavaScript SDK script");
}
