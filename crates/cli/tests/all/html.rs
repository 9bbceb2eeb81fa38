//! The HTML report in a real browser: `evaluate --format json --html FILE` against the
//! embedded emulator (whose default centre plants a Simpson's paradox, so the comparison has
//! reversals), the page loaded in headless Chromium, its rendered DOM checked against the
//! JSON of the same run, and its screenshot checked for content.
//!
//! Chromium comes from Debian's packages through `scripts/install-chromium` (run here when it
//! is missing). `ROUTING_EVAL_SKIP_BROWSER=1` skips the test, loudly.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::html_report;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The browser, installed by the project's script when missing; `None` when skipped.
fn chromium() -> Option<&'static str> {
    if std::env::var_os("ROUTING_EVAL_SKIP_BROWSER").is_some_and(|v| v == "1") {
        eprintln!("!!! ROUTING_EVAL_SKIP_BROWSER=1: the HTML report's browser test is SKIPPED !!!");
        return None;
    }
    if !Path::new(CHROMIUM).exists() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/install-chromium");
        let status = Command::new("bash").arg(&script).status();
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing and {} could not install it ({status:?}); install it with \
             `sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium`, \
             or set ROUTING_EVAL_SKIP_BROWSER=1 to skip this test",
            script.display()
        );
    }
    Some(CHROMIUM)
}

/// Chromium, headless, in a fresh profile, with nothing fetched beside the page.
fn browser(program: &str, profile: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    cmd
}

fn url(page: &Path) -> String {
    format!("file://{}", page.display())
}

fn dump_dom(program: &str, dir: &Path, page: &Path) -> String {
    let out = browser(program, &dir.join("profile-dom"))
        .arg("--dump-dom")
        .arg(url(page))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium --dump-dom failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

fn screenshot(program: &str, dir: &Path, page: &Path) -> PathBuf {
    let png = dir.join("report.png");
    let out = browser(program, &dir.join("profile-shot"))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2400")
        .arg(url(page))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium --screenshot failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    png
}

/// How many distinct grey levels the screenshot has, and the share of its pixels that are not
/// the background's white.
fn variety(png: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("one frame");
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let mut levels = std::collections::HashSet::new();
    let mut inked = 0usize;
    let count = pixels.len() / channels;
    for p in pixels.chunks(channels) {
        levels.insert((p[0], p[1], p[2]));
        if p[..3].iter().any(|c| *c < 240) {
            inked += 1;
        }
    }
    (levels.len(), inked as f64 / count as f64)
}

fn count(dom: &str, needle: &str) -> usize {
    dom.matches(needle).count()
}

/// `value` as the page writes it in an attribute (HTML-escaped).
fn attribute(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_renders_in_chromium_with_every_strategy_result_and_trend() {
    let Some(program) = chromium() else { return };
    let report = html_report(&["--days", "7", "--format", "json"], None).await;
    let (dir, page) = (&report.dir, &report.page);
    let doc: Value = serde_json::from_str(&report.run.stdout).expect("one JSON document");
    let strategies: Vec<&str> = doc["report"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["strategyId"].as_str().unwrap())
        .collect();
    let results = doc["report"]["comparison"]["results"].as_array().unwrap();
    assert!(strategies.len() > 1 && !results.is_empty());
    assert!(
        results.iter().any(|r| r["reversal"] == true),
        "the planted paradox shows"
    );

    let dom = dump_dom(program, dir.path(), page);
    assert!(dom.contains("EMULATOR DATA"));
    assert_eq!(count(&dom, "class=\"strategy-row\""), strategies.len());
    for id in &strategies {
        assert!(
            dom.contains(&format!(
                "class=\"strategy-row\" data-strategy=\"{}\"",
                attribute(id)
            )),
            "row of {id}"
        );
    }
    assert_eq!(
        count(&dom, "class=\"forest-mark\""),
        results.len(),
        "one forest-plot mark per result"
    );
    for r in results {
        let mark = format!(
            "data-contender=\"{}\" data-kpi=\"{}\" data-verdict=\"{}\"",
            attribute(r["contender"].as_str().unwrap()),
            r["kpi"].as_str().unwrap(),
            r["verdict"].as_str().unwrap()
        );
        assert!(dom.contains(&mark), "{mark}");
    }
    let reversals = results.iter().filter(|r| r["reversal"] == true).count();
    assert_eq!(count(&dom, "data-reversal=\"true\""), reversals);
    for kpi in ["abandonRate", "serviceLevel", "offered"] {
        assert!(
            dom.contains(&format!("class=\"trend\" data-kpi=\"{kpi}\"")),
            "trend of {kpi}"
        );
    }
    assert_eq!(
        count(&dom, "class=\"trend-series\""),
        3 * strategies.len(),
        "one series per strategy and KPI"
    );
    assert!(
        count(&dom, "class=\"tick\"") >= 3 * 3,
        "each trend labels several dates under its x axis"
    );
    assert!(!dom.contains("<script"), "no script");
    assert!(
        !["src=\"http", "href=\"http", "url(http", "@import"]
            .iter()
            .any(|f| dom.contains(f)),
        "nothing fetched"
    );

    let (levels, inked) = variety(&screenshot(program, dir.path(), page));
    assert!(levels > 20, "the screenshot has {levels} colours: blank?");
    assert!(
        inked > 0.03,
        "only {:.1}% of the screenshot is drawn on",
        inked * 100.0
    );
}
