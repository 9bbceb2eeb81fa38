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

#[cfg(test)]
mod tests {
    use genesys_routing_eval::comparison::{ComparisonFile, compare};

    use super::*;

    /// A comparison of two strategies whose ids carry markup.
    fn comparison() -> Comparison {
        let file = br#"{"config": {"baseline": "<b>&base"}, "rows": [
            {"strategy": "<b>&base", "cell": ["q1"], "counts": {"offered": 100, "abandoned": 10, "answered": 90}},
            {"strategy": "x<script>alert(1)</script>", "cell": ["q1"], "counts": {"offered": 100, "abandoned": 5, "answered": 95}}
        ]}"#;
        let (builder, table) = ComparisonFile::from_slice(file).unwrap().into_parts();
        compare(&builder.build().unwrap(), &table).unwrap()
    }

    #[test]
    fn a_comparison_alone_has_the_forest_plot_and_notes_but_no_ranking() {
        let html = render(None, Some(&comparison()), "UTC");
        assert!(html.contains("id=\"comparison\""));
        assert!(html.contains("id=\"notes\""));
        assert!(!html.contains("id=\"ranking\""));
        assert!(html.contains("class=\"forest-mark\""));
        assert!(html.contains("id=\"context\""), "a file has a header too");
        assert!(html.contains("<dt>Source</dt><dd>file ("));
        assert!(html.contains("<dt>Baseline</dt><dd class=\"id\">&lt;b&gt;&amp;base</dd>"));
        assert!(html.contains("<svg"), "charts are inline SVG");
        assert!(
            !html.contains("<script"),
            "no script, and ids cannot add one"
        );
    }

    #[test]
    fn ids_with_markup_are_escaped_in_text_and_attributes() {
        let html = render(None, Some(&comparison()), "UTC");
        assert!(
            html.contains("x&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;b&gt;&amp;base"));
        assert!(!html.contains("<b>&base"));
    }
}
