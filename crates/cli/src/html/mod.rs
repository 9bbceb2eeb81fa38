//! `--format html` and `--html FILE`: one self-contained page (inline CSS and SVG, no script,
//! nothing fetched) with the run's context, the ranking with score bars and Wilson interval
//! whiskers, the comparison as a forest plot, daily trend lines, the fallback table and the
//! coverage notes. Readable in grey (every colour also has a shape, a dash or a word) and on
//! paper (print CSS).
//!
//! Templates are minijinja with HTML auto-escaping; every chart is drawn by plotters on its
//! SVG backend.

mod forest;
mod ranking;
mod svg;
mod trend;
mod view;

use genesys_routing_eval::comparison::Comparison;
use genesys_routing_eval::evaluation::Report;

const TEMPLATE: &str = include_str!("../../templates/report.html");

/// The page for `report` (a live run) or for a comparison alone (`compare --input`), its
/// window shown in `time_zone` (an IANA name; UTC when unknown).
pub(crate) fn render(
    report: Option<&Report>,
    comparison: Option<&Comparison>,
    time_zone: &str,
) -> String {
    let page = view::page(report, comparison, time_zone);
    let mut env = minijinja::Environment::new();
    env.add_template("report.html", TEMPLATE)
        .expect("the report template parses");
    env.get_template("report.html")
        .and_then(|t| t.render(minijinja::context! { page => minijinja::value::Serde(page) }))
        .expect("the report template renders a page view")
}
