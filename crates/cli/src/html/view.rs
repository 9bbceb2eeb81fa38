//! What the template shows, as plain serialisable values: text already formatted, charts
//! already drawn.

use chrono::{DateTime, Utc};
use genesys_routing_eval::DataOrigin;
use genesys_routing_eval::comparison::{
    Comparison, ComparisonKpi, ComparisonResult, KpiKind, Verdict,
};
use genesys_routing_eval::evaluation::{Fallbacks, Report, ScoringSummary, StrategyReport};
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::names::Names;
use genesys_routing_eval::scoring::{Direction, Interval};
use serde::Serialize;

use super::{forest, ranking, trend};

/// How the page shows the value `id` of `dimension` (a strategy, a queue): its resolved name
/// from `names`, else the id; `(none)` for an empty value. The page shows names whole (its
/// cells wrap); the ids stay in the `data-*` attributes.
pub(crate) fn label(names: &Names, dimension: &str, id: &str) -> String {
    if id.is_empty() {
        return "(none)".to_owned();
    }
    names.for_dimension(dimension, id).unwrap_or(id).to_owned()
}

#[derive(Serialize)]
pub(super) struct Page {
    emulator: bool,
    header: Option<Header>,
    file_header: Option<FileHeader>,
    ranking: Vec<RankRow>,
    abandon_axis: String,
    service_axis: String,
    comparison: Option<ComparisonView>,
    trends: Vec<TrendView>,
    fallbacks: Vec<FallbackRow>,
    notes: Vec<String>,
}

#[derive(Serialize)]
struct Header {
    from: String,
    to: String,
    time_zone: String,
    origin: String,
    source: String,
    group_by: String,
    preset: String,
    weights: Vec<String>,
    evaluation_id: String,
}

/// The header of a comparison read from a file (`compare --input`): where it came from and
/// its settings.
#[derive(Serialize)]
struct FileHeader {
    source: String,
    treatment: String,
    within: String,
    cell_match: String,
    baseline: String,
    alpha: String,
    power: String,
    kpis: String,
}

#[derive(Serialize)]
struct RankRow {
    id: String,
    label: String,
    rank: String,
    score: String,
    score_bar: String,
    offered: String,
    abandon: String,
    abandon_whisker: String,
    service: String,
    service_whisker: String,
    confidence: String,
}

#[derive(Serialize)]
struct ComparisonView {
    baseline: String,
    design: String,
    has_reversal: bool,
    kpis: Vec<ForestKpi>,
}

#[derive(Serialize)]
struct ForestKpi {
    kpi: String,
    better: String,
    axis: String,
    rows: Vec<ForestRow>,
}

#[derive(Serialize)]
struct ForestRow {
    contender: String,
    label: String,
    kpi: String,
    verdict: String,
    verdict_words: String,
    difference: String,
    interval: String,
    mdd: String,
    reversal: bool,
    plot: String,
}

#[derive(Serialize)]
struct TrendView {
    kpi: String,
    title: String,
    ticks: Vec<Tick>,
    top: String,
    chart: String,
    series: Vec<SeriesView>,
}

/// A date under a trend chart, `at` its point's position in percent of the chart's width.
#[derive(Serialize)]
struct Tick {
    label: String,
    at: String,
}

#[derive(Serialize)]
struct SeriesView {
    id: String,
    label: String,
    swatch: String,
    points: usize,
}

#[derive(Serialize)]
struct FallbackRow {
    requested: String,
    used: String,
    offered: u64,
    share: String,
}

/// The page of a run (`report`) or of a comparison alone.
pub(super) fn page(
    report: Option<&Report>,
    comparison: Option<&Comparison>,
    time_zone: &str,
) -> Page {
    let comparison = comparison.or_else(|| report.and_then(|r| r.comparison.as_ref()));
    let unnamed = Names::default();
    let names = report.map_or(&unnamed, |r| &r.names);
    let ranked = report.map(Report::ranked).unwrap_or_default();
    let abandon = ranking::Axis::fitting(
        ranked
            .iter()
            .filter_map(|l| l.confidence.abandon_rate.as_ref()),
    );
    let service = ranking::Axis::fitting(
        ranked
            .iter()
            .filter_map(|l| l.confidence.service_level.as_ref()),
    );
    Page {
        emulator: report.is_some_and(|r| r.data_origin == DataOrigin::Emulator),
        header: report.map(|r| header(r, time_zone)),
        file_header: match (report, comparison) {
            (None, Some(c)) => Some(file_header(c)),
            _ => None,
        },
        ranking: report
            .map(|r| {
                ranked
                    .iter()
                    .map(|line| rank_row(line, names, &r.group_by, abandon, service))
                    .collect()
            })
            .unwrap_or_default(),
        abandon_axis: abandon.describe(),
        service_axis: service.describe(),
        comparison: comparison.map(|c| comparison_view(c, names)),
        trends: report.map(trends).unwrap_or_default(),
        fallbacks: report
            .and_then(|r| r.fallbacks.as_ref())
            .map(|f| fallback_rows(f, names))
            .unwrap_or_default(),
        notes: notes(report, comparison, names),
    }
}

fn local(t: DateTime<Utc>, time_zone: &str) -> String {
    crate::output::local_time(t, time_zone)
}

fn file_header(c: &Comparison) -> FileHeader {
    let mut kpis: Vec<&str> = Vec::new();
    for r in &c.results {
        if !kpis.contains(&r.kpi.name()) {
            kpis.push(r.kpi.name());
        }
    }
    FileHeader {
        source: "file".to_owned(),
        treatment: c.treatment.clone(),
        within: if c.within.is_empty() {
            "nothing".to_owned()
        } else {
            c.within.join(", ")
        },
        cell_match: c.cell_match.to_string(),
        baseline: c.baseline.clone(),
        alpha: c.alpha.to_string(),
        power: c.power.to_string(),
        kpis: if kpis.is_empty() {
            "none compared".to_owned()
        } else {
            kpis.join(", ")
        },
    }
}

fn header(report: &Report, time_zone: &str) -> Header {
    let scoring = ScoringSummary::of(&report.scoring);
    let weights = scoring
        .kpis
        .iter()
        .map(|k| format!("{} × {} ({})", k.metric, k.weight, better(k.direction)))
        .collect();
    Header {
        from: local(report.window.from, time_zone),
        to: local(report.window.to, time_zone),
        time_zone: time_zone.to_owned(),
        origin: report.data_origin.to_string(),
        source: report.source.to_string(),
        group_by: report.group_by.clone(),
        preset: scoring.preset.clone(),
        weights,
        evaluation_id: report.evaluation_id.clone(),
    }
}

fn better(direction: Direction) -> &'static str {
    match direction {
        Direction::HigherIsBetter => "higher is better",
        Direction::LowerIsBetter => "lower is better",
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn interval_text(i: &Interval) -> String {
    format!(
        "{} [{} – {}]",
        percent(i.estimate),
        percent(i.lower),
        percent(i.upper)
    )
}

fn rank_row(
    line: &StrategyReport,
    names: &Names,
    group_by: &str,
    abandon_axis: ranking::Axis,
    service_axis: ranking::Axis,
) -> RankRow {
    let abandon = line.confidence.abandon_rate.as_ref();
    let service = line.confidence.service_level.as_ref();
    RankRow {
        id: line.strategy_id.clone(),
        label: label(names, group_by, &line.strategy_id),
        rank: line.rank.map_or_else(|| "–".to_owned(), |r| r.to_string()),
        score: line
            .score
            .map_or_else(|| "no score".to_owned(), |s| format!("{s:.3}")),
        score_bar: line.score.map(ranking::score_bar).unwrap_or_default(),
        offered: line
            .kpis
            .get(Kpi::Offered)
            .map_or_else(|| "–".to_owned(), |v| Kpi::Offered.format_value(v)),
        abandon: abandon.map_or_else(|| "–".to_owned(), interval_text),
        abandon_whisker: abandon
            .map(|i| ranking::whisker(i, abandon_axis))
            .unwrap_or_default(),
        service: service.map_or_else(|| "–".to_owned(), interval_text),
        service_whisker: service
            .map(|i| ranking::whisker(i, service_axis))
            .unwrap_or_default(),
        confidence: confidence(line),
    }
}

fn confidence(line: &StrategyReport) -> String {
    match (line.has_data, line.confidence.sample_size) {
        (false, _) | (true, None) => "no data".to_owned(),
        (true, Some(n)) if line.confidence.low_confidence => format!("low (n={n})"),
        (true, Some(n)) => format!("ok (n={n})"),
    }
}

fn comparison_view(c: &Comparison, names: &Names) -> ComparisonView {
    let kpis = ComparisonKpi::ALL
        .iter()
        .filter_map(|kpi| forest_kpi(c, *kpi, names))
        .collect();
    let within = if c.within.is_empty() {
        "nothing".to_owned()
    } else {
        c.within.join(", ")
    };
    ComparisonView {
        baseline: label(names, &c.treatment, &c.baseline),
        design: format!(
            "treatment {}, cells hold {} fixed, matched by {}; α = {}, power = {}; Holm-adjusted",
            c.treatment, within, c.cell_match, c.alpha, c.power
        ),
        has_reversal: c.has_reversal(),
        kpis,
    }
}

fn forest_kpi(c: &Comparison, kpi: ComparisonKpi, names: &Names) -> Option<ForestKpi> {
    let results: Vec<&ComparisonResult> = c.results.iter().filter(|r| r.kpi == kpi).collect();
    let first = results.first()?;
    let half = forest::axis(results.iter().copied());
    Some(ForestKpi {
        kpi: kpi.name().to_owned(),
        better: better(first.direction).to_owned(),
        axis: format!(
            "axis −{} to +{}",
            difference(first.kind, half),
            difference(first.kind, half)
        ),
        rows: results
            .iter()
            .map(|r| forest_row(r, half, label(names, &c.treatment, &r.contender)))
            .collect(),
    })
}

/// A difference in its unit: percentage points for rates, seconds for means.
fn difference(kind: KpiKind, v: f64) -> String {
    match kind {
        KpiKind::Rate => format!("{:.2} pp", v * 100.0),
        _ => format!("{v:.1} s"),
    }
}

fn signed(kind: KpiKind, v: f64) -> String {
    let text = difference(kind, v.abs());
    if v < 0.0 {
        format!("−{text}")
    } else {
        format!("+{text}")
    }
}

fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::ContenderBetter => "contender better",
        Verdict::BaselineBetter => "baseline better",
        Verdict::Inconclusive => "inconclusive",
        _ => "insufficient data",
    }
}

fn forest_row(r: &ComparisonResult, half: f64, label: String) -> ForestRow {
    let none = || "–".to_owned();
    ForestRow {
        contender: r.contender.clone(),
        label,
        kpi: r.kpi.name().to_owned(),
        verdict: r.verdict.name().to_owned(),
        verdict_words: verdict_words(r.verdict).to_owned(),
        difference: r.difference.map_or_else(none, |d| signed(r.kind, d)),
        interval: match (r.ci_low, r.ci_high) {
            (Some(lo), Some(hi)) => format!("[{}, {}]", signed(r.kind, lo), signed(r.kind, hi)),
            _ => none(),
        },
        mdd: r
            .minimum_detectable_difference
            .map_or_else(none, |m| format!("±{}", difference(r.kind, m))),
        reversal: r.reversal,
        plot: forest::row(r, half),
    }
}

/// The KPIs drawn as daily trends, with their titles and y-axis tops.
const TRENDS: [(Kpi, &str); 3] = [
    (Kpi::AbandonRate, "Abandon rate per bucket"),
    (Kpi::ServiceLevel, "Service level per bucket"),
    (Kpi::Offered, "Offered per bucket"),
];

fn trends(report: &Report) -> Vec<TrendView> {
    let buckets = trend::buckets(&report.table);
    TRENDS
        .iter()
        .filter_map(|(kpi, title)| trend_view(report, &buckets, *kpi, title))
        .collect()
}

fn trend_view(
    report: &Report,
    buckets: &[(
        String,
        std::collections::BTreeMap<String, genesys_routing_eval::metrics::RawCounts>,
    )],
    kpi: Kpi,
    title: &str,
) -> Option<TrendView> {
    let (intervals, lines) = trend::series(buckets, kpi);
    let max = lines
        .iter()
        .flat_map(|l| l.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b));
    if intervals.is_empty() || max <= 0.0 {
        return None;
    }
    let top = match kpi {
        Kpi::Offered => nice_ceiling(max * 1.1),
        _ => (max * 1.1).min(1.0),
    };
    let day = |i: &String| i.get(..10).unwrap_or(i).to_owned();
    Some(TrendView {
        kpi: kpi.name().to_owned(),
        title: title.to_owned(),
        ticks: tick_indices(intervals.len(), TREND_TICKS)
            .into_iter()
            .map(|i| Tick {
                label: day(&intervals[i]),
                at: format!("{:.1}", trend::x_percent(i, intervals.len())),
            })
            .collect(),
        top: match kpi {
            Kpi::Offered => Kpi::Offered.format_value(top),
            _ => percent(top),
        },
        chart: trend::chart(&lines, intervals.len(), top),
        series: lines
            .iter()
            .enumerate()
            .map(|(i, l)| SeriesView {
                id: l.strategy_id.clone(),
                label: label(&report.names, &report.group_by, &l.strategy_id),
                swatch: trend::swatch(i),
                points: l.values.iter().flatten().count(),
            })
            .collect(),
    })
}

/// How many date labels a trend's x axis carries at most.
const TREND_TICKS: usize = 5;

/// Up to `most` indices into `n` points, evenly spaced, the first and the last among them.
fn tick_indices(n: usize, most: usize) -> Vec<usize> {
    let count = n.min(most);
    match count {
        0 => Vec::new(),
        1 => vec![0],
        _ => {
            let mut ticks: Vec<usize> = (0..count)
                .map(|k| (k * (n - 1) + (count - 1) / 2) / (count - 1))
                .collect();
            ticks.dedup();
            ticks
        }
    }
}

/// `v` rounded up to two significant digits (11932.8 to 12000), for an axis top.
fn nice_ceiling(v: f64) -> f64 {
    let step = 10f64.powf(v.log10().floor() - 1.0);
    (v / step).ceil() * step
}

fn fallback_rows(f: &Fallbacks, names: &Names) -> Vec<FallbackRow> {
    f.rows
        .iter()
        .map(|r| FallbackRow {
            requested: label(names, "requestedRouting", &r.requested),
            used: label(names, "usedRouting", &r.used),
            offered: r.offered,
            share: percent(r.share),
        })
        .collect()
}

fn notes(report: Option<&Report>, comparison: Option<&Comparison>, names: &Names) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(c) = comparison {
        notes.extend(coverage_notes(c, names));
    }
    let Some(r) = report else { return notes };
    if let Some(note) = &r.comparison_note {
        notes.push(note.clone());
    }
    if !r.missing_strategies.is_empty() {
        let missing: Vec<String> = r
            .missing_strategies
            .iter()
            .map(|s| label(names, &r.group_by, s))
            .collect();
        notes.push(format!("No data for: {}.", missing.join(", ")));
    }
    notes.push(format!(
        "Data completeness: {}.",
        percent(r.data_completeness)
    ));
    if let Some(offered) = r.unattributed.get(Kpi::Offered).filter(|n| *n > 0.0) {
        notes.push(format!(
            "Unattributed (no {}): {} offered, in no strategy's figures.",
            r.group_by,
            Kpi::Offered.format_value(offered)
        ));
    }
    notes
}

/// One line per contender: the share of each side's volume the comparison's cells cover.
fn coverage_notes(c: &Comparison, names: &Names) -> Vec<String> {
    let mut seen: Vec<&str> = Vec::new();
    let mut notes = Vec::new();
    for r in &c.results {
        if seen.contains(&r.contender.as_str()) {
            continue;
        }
        seen.push(&r.contender);
        let share = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), percent);
        notes.push(format!(
            "Comparison coverage of {} against {} ({}): {} of the contender's and {} of the baseline's volume in {} shared cells.",
            label(names, &c.treatment, &r.contender),
            label(names, &c.treatment, &c.baseline),
            r.kpi.name(),
            share(r.contender_coverage),
            share(r.baseline_coverage),
            r.cells
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_round_up_to_two_significant_digits() {
        assert_eq!(nice_ceiling(11_932.8), 12_000.0);
        assert_eq!(nice_ceiling(0.132), 0.14);
        assert!(nice_ceiling(99.1) >= 99.1);
    }

    #[test]
    fn a_label_is_the_resolved_name_else_the_id_and_an_empty_id_is_none() {
        let mut names = Names::default();
        names.queues.insert("q-1".into(), "Claims".into());
        assert_eq!(label(&names, "usedRouting", ""), "(none)");
        assert_eq!(label(&names, "usedRouting", "Bullseye"), "Bullseye");
        assert_eq!(label(&names, "queueId", "q-1"), "Claims");
        assert_eq!(label(&names, "queueId", "q-2"), "q-2");
    }

    #[test]
    fn trend_ticks_are_evenly_spaced_and_keep_the_first_and_last() {
        assert_eq!(tick_indices(0, 5), Vec::<usize>::new());
        assert_eq!(tick_indices(1, 5), [0]);
        assert_eq!(tick_indices(3, 5), [0, 1, 2]);
        assert_eq!(tick_indices(7, 5), [0, 2, 3, 5, 6]);
        assert_eq!(tick_indices(29, 5), [0, 7, 14, 21, 28]);
    }
}
