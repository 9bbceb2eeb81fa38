//! What the CLI prints: the ranked tables, CSV and JSON of `evaluate` and `score`, and the
//! escaping that keeps ids and server text from being abused or misread on the way out.
//!
//! Everything that reaches a terminal from outside (a strategy id, a server's error message)
//! passes [`escape`], so an id cannot move the cursor, recolour the screen or forge a line;
//! every text cell of a CSV passes [`csv_text`], so a spreadsheet does not run it as a formula.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use genesys_routing_eval::DataOrigin;
use genesys_routing_eval::evaluation::{Outcome, Report, ScoringSummary};
use genesys_routing_eval::metrics::Kpi;
use genesys_routing_eval::names::Names;
use genesys_routing_eval::scoring::{Direction, Scores};

/// `text` with every control character (C0, DEL, C1) and every invisible formatting
/// character that reorders or hides text (bidi overrides and isolates, zero-width
/// characters, the BOM) written as a visible `\u{..}` escape; `\n`, `\r` and `\t` as `\n`,
/// `\r`, `\t`. Text without them is returned as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
        )
}

/// A CSV text cell: neutralised when a spreadsheet would read it as a formula (it starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return: prefixed with `'`, as OWASP advises), then
/// quoted per RFC 4180 when it holds a comma, quote or line break.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || text.contains([',', '"', '\n', '\r']);
    match (formula, quote) {
        (false, false) => Cow::Borrowed(text),
        _ => {
            let prefix = if formula { "'" } else { "" };
            Cow::Owned(format!("\"{prefix}{}\"", text.replace('"', "\"\"")))
        }
    }
}

/// Whether writing failed because the reader went away (`routing-eval ... | head -1`): the
/// output is no longer wanted, which is no failure of ours.
pub fn is_broken_pipe(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::BrokenPipe
}

/// Columns aligned to their widest cell: text columns left-aligned, numbers right-aligned.
/// Cells are escaped as they are added.
pub(crate) struct Table {
    lines: Vec<Vec<String>>,
    left_aligned: Vec<usize>,
}

impl Table {
    pub(crate) fn new(header: Vec<String>, left_aligned: &[usize]) -> Self {
        Table {
            lines: vec![header],
            left_aligned: left_aligned.to_vec(),
        }
    }

    pub(crate) fn push(&mut self, cells: Vec<String>) {
        self.lines
            .push(cells.iter().map(|c| escape(c).into_owned()).collect());
    }

    pub(crate) fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let columns = self.lines[0].len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.lines
                    .iter()
                    .map(|l| l[c].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for line in &self.lines {
            let mut text = String::new();
            for (c, (value, width)) in line.iter().zip(&widths).enumerate() {
                if c > 0 {
                    text.push_str("  ");
                }
                if self.left_aligned.contains(&c) {
                    let _ = write!(text, "{value:<width$}");
                } else {
                    let _ = write!(text, "{value:>width$}");
                }
            }
            writeln!(out, "{}", text.trim_end())?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// evaluate

/// Prints the outcome of `evaluate` in `format` on stdout.
/// (`html`: the page, its window in `time_zone`.)
pub fn print_outcome(
    outcome: &Outcome,
    format: super::evaluate::Format,
    time_zone: &str,
) -> io::Result<()> {
    use super::evaluate::Format;
    let mut out = io::stdout().lock();
    match format {
        Format::Table => {
            write_report_table(&outcome.report, time_zone, &mut out)?;
            write_comparison_below(&outcome.report, &mut out)?;
        }
        Format::Csv => write_report_csv(&outcome.report, &mut out)?,
        Format::Html => {
            out.write_all(crate::html::render(Some(&outcome.report), None, time_zone).as_bytes())?;
        }
        Format::Json => {
            let doc = serde_json::json!({ "report": &outcome.report, "audit": &outcome.audit });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()
}

/// Under the ranking: the comparison on the same traffic (and a warning that the ranking is
/// confounded when a pooled view points the other way), or the one line saying why none ran.
fn write_comparison_below(report: &Report, out: &mut impl Write) -> io::Result<()> {
    if let Some(note) = &report.comparison_note {
        writeln!(out, "{}", escape(note))?;
    }
    let Some(comparison) = &report.comparison else {
        return Ok(());
    };
    writeln!(out)?;
    if comparison.has_reversal() {
        writeln!(
            out,
            "Warning: the ranking above pools each strategy's traffic and is confounded by traffic mix: on the same traffic, results marked * point the other way."
        )?;
    }
    super::compare_output::write_table(comparison, &report.names, out)?;
    if let Some(fallbacks) = &report.fallbacks {
        writeln!(out)?;
        super::compare_output::write_fallbacks(fallbacks, out)?;
    }
    Ok(())
}

/// The KPIs the table shows, in order: offered (the volume behind every rate), every KPI the
/// scoring used, then the per-caller KPIs it did not use, so a reader can check the ranking
/// against them.
fn table_kpis(scoring: &ScoringSummary) -> Vec<Kpi> {
    let mut kpis = vec![Kpi::Offered];
    let scored = scoring
        .kpis
        .iter()
        .filter_map(|k| Kpi::from_name(&k.metric));
    let per_caller = [
        Kpi::ServiceLevel,
        Kpi::AbandonRate,
        Kpi::AvgSpeedOfAnswer,
        Kpi::AvgHandleTime,
    ];
    for kpi in scored.chain(per_caller) {
        if !kpis.contains(&kpi) {
            kpis.push(kpi);
        }
    }
    kpis
}

/// A KPI's column header, its unit in it: `abandon %`, `ASA s`, `AHT s`. (CSV and JSON keep
/// the contract's names, `abandonRate`, ...; the scoring line above the table names them.)
fn table_header(kpi: Kpi) -> &'static str {
    match kpi {
        Kpi::Offered => "offered",
        Kpi::Answered => "answered",
        Kpi::HandledCalls => "handled",
        Kpi::AbandonedCalls => "abandoned",
        Kpi::AvgSpeedOfAnswer => "ASA s",
        Kpi::AvgHandleTime => "AHT s",
        Kpi::AbandonRate => "abandon %",
        Kpi::ServiceLevel => "service level %",
        Kpi::TransferRate => "transfer %",
        _ => kpi.name(),
    }
}

/// A KPI as the table shows it, in its header's unit: rates in percent, averages in seconds,
/// counts whole.
fn table_value(kpi: Kpi, value: Option<f64>) -> String {
    let Some(v) = value else {
        return "-".to_owned();
    };
    match kpi {
        Kpi::AbandonRate | Kpi::ServiceLevel | Kpi::TransferRate => format!("{:.1}", v * 100.0),
        Kpi::AvgSpeedOfAnswer => format!("{v:.1}"),
        Kpi::AvgHandleTime => format!("{v:.0}"),
        _ => kpi.format_value(v),
    }
}

fn fixed(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.digits$}"))
}

/// One line naming the preset and its weights: `scored with the rates preset: serviceLevel
/// 2 (higher is better), ...`.
fn scoring_line(scoring: &ScoringSummary) -> String {
    let weights: Vec<String> = scoring
        .kpis
        .iter()
        .map(|k| {
            let better = match k.direction {
                Direction::HigherIsBetter => "higher is better",
                Direction::LowerIsBetter => "lower is better",
            };
            format!("{} {} ({better})", escape(&k.metric), k.weight)
        })
        .collect();
    let name = match scoring.preset.as_str() {
        "custom" => "custom weights".to_owned(),
        preset => format!("the {preset} preset"),
    };
    format!("Scored with {name}: {}", weights.join(", "))
}

/// The table's first line when the data is synthetic.
const EMULATOR_BANNER: &str =
    "EMULATOR DATA: synthetic figures from the embedded emulator, not from Genesys Cloud";

/// The lines that open every table of a run: the emulator banner when the data is
/// synthetic, then what was grouped, from which source, over which window (in `time_zone`,
/// as the HTML header shows it).
pub fn write_context(report: &Report, time_zone: &str, out: &mut impl Write) -> io::Result<()> {
    if report.data_origin == DataOrigin::Emulator {
        writeln!(out, "{EMULATOR_BANNER}")?;
    }
    writeln!(
        out,
        "Routing strategies by {} ({} source), {} to {}",
        escape(&report.group_by),
        report.source,
        local_time(report.window.from, time_zone),
        local_time(report.window.to, time_zone)
    )
}

/// `t` in `time_zone` (an IANA name) with the zone's abbreviation, `2026-03-01 00:00 CET`; in
/// UTC when the name is unknown (the builder has refused such a name before any run).
pub(crate) fn local_time(t: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => t.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn write_report_table(report: &Report, time_zone: &str, out: &mut impl Write) -> io::Result<()> {
    write_context(report, time_zone, out)?;
    let scoring = ScoringSummary::of(&report.scoring);
    writeln!(out, "{}", scoring_line(&scoring))?;
    let kpis = table_kpis(&scoring);
    let mut header: Vec<String> = ["rank", "strategy", "score", "pctl"]
        .map(String::from)
        .into();
    header.extend(kpis.iter().map(|k| table_header(*k).to_owned()));
    header.push("confidence".into());
    let confidence_column = header.len() - 1;
    let mut table = Table::new(header, &[1, confidence_column]);
    for line in report.ranked() {
        let confidence = match (line.has_data, line.confidence.sample_size) {
            (false, _) | (true, None) => "no data".to_owned(),
            (true, Some(n)) if line.confidence.low_confidence => format!("low (n={n})"),
            (true, Some(n)) => format!("ok (n={n})"),
        };
        let mut cells = vec![
            line.rank.map_or_else(|| "-".to_owned(), |r| r.to_string()),
            shorten(
                line.name.as_deref().unwrap_or(&line.strategy_id),
                MAX_NAME_WIDTH,
            ),
            fixed(line.score, 3),
            fixed(line.percentile_rank, 2),
        ];
        cells.extend(kpis.iter().map(|k| table_value(*k, line.kpis.get(*k))));
        cells.push(confidence);
        table.push(cells);
    }
    table.write(out)?;
    for warning in &report.names.warnings {
        writeln!(out, "note: {}", escape(&warning.to_string()))?;
    }
    if !report.missing_strategies.is_empty() {
        let missing: Vec<Cow<'_, str>> = report
            .missing_strategies
            .iter()
            .map(|s| escape(s))
            .collect();
        writeln!(out, "no data for: {}", missing.join(", "))?;
    }
    if let Some(offered) = report.unattributed.get(Kpi::Offered).filter(|n| *n > 0.0) {
        writeln!(
            out,
            "unattributed (no {}): {} offered",
            escape(&report.group_by),
            Kpi::Offered.format_value(offered)
        )?;
    }
    Ok(())
}

/// The widest a name column grows; longer names are cut with an ellipsis.
pub(crate) const MAX_NAME_WIDTH: usize = 32;

/// How a table shows the value `id` of `dimension` (a strategy, a queue): its resolved name,
/// else the id, cut to [`MAX_NAME_WIDTH`] with an ellipsis.
pub(crate) fn display_name(names: &Names, dimension: &str, id: &str) -> String {
    shorten(
        names.for_dimension(dimension, id).unwrap_or(id),
        MAX_NAME_WIDTH,
    )
}

/// `text` cut to `max` characters, the last one an ellipsis, when it is longer.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// A number in the shortest form that reads back the same (serde_json's, as `score` writes).
pub(crate) fn json_number(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string())
}

fn write_report_csv(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let kpi_names: Vec<&str> = Kpi::ALL.iter().map(|k| k.name()).collect();
    writeln!(
        out,
        "rank,strategyId,name,score,percentileRank,coverage,{},sampleSize,lowConfidence,hasData,dataOrigin",
        kpi_names.join(",")
    )?;
    let number = |v: Option<f64>| v.map(json_number).unwrap_or_default();
    for line in report.ranked() {
        let kpis: Vec<String> = line
            .kpis
            .iter()
            .map(|(kpi, v)| v.map(|v| kpi.format_value(v)).unwrap_or_default())
            .collect();
        writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            line.rank.map(|r| r.to_string()).unwrap_or_default(),
            csv_text(&line.strategy_id),
            csv_text(line.name.as_deref().unwrap_or_default()),
            number(line.score),
            number(line.percentile_rank),
            json_number(line.coverage),
            kpis.join(","),
            line.confidence
                .sample_size
                .map(|n| n.to_string())
                .unwrap_or_default(),
            line.confidence.low_confidence,
            line.has_data,
            report.data_origin
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// score

/// The ranked view of offline scores, one line per strategy, aligned columns.
pub fn write_scores_table<W: Write>(scores: &Scores, mut out: W) -> io::Result<()> {
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
    let mut header: Vec<String> = ["rank", "strategy", "score", "percentile", "coverage"]
        .map(String::from)
        .into();
    header.extend(scores.kpis().iter().map(|k| escape(&k.metric).into_owned()));
    let mut table = Table::new(header, &[1]);
    for (position, row) in scores.ranked().iter().enumerate() {
        let rank = row
            .score
            .map_or_else(|| "-".to_owned(), |_| (position + 1).to_string());
        let mut cells = vec![
            rank,
            row.strategy_id.to_owned(),
            cell(row.score),
            cell(row.percentile_rank),
            cell(Some(row.coverage)),
        ];
        cells.extend(row.normalized().map(|(_, v)| cell(v)));
        table.push(cells);
    }
    table.write(&mut out)?;
    writeln!(
        out,
        "KPI columns are normalised values (1 = best in the cohort); - = missing"
    )?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorten_cuts_long_names_with_an_ellipsis_and_keeps_short_ones() {
        assert_eq!(shorten("Claims", 32), "Claims");
        let cut = shorten("Technical Support Level Two Overflow Queue", 16);
        assert_eq!(cut, "Technical Suppo…");
        assert_eq!(cut.chars().count(), 16);
    }

    #[test]
    fn escape_makes_terminal_controls_visible_and_leaves_plain_text_alone() {
        assert!(matches!(escape("Bullseye"), Cow::Borrowed("Bullseye")));
        assert_eq!(escape("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\rz\t"), "x\\ny\\rz\\t");
        assert_eq!(escape("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(escape("Zürich"), "Zürich");
    }

    #[test]
    fn csv_text_neutralises_formulas_and_quotes_separators() {
        assert_eq!(csv_text("Bullseye"), "Bullseye");
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for lead in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_text(lead).starts_with("\"'"), "{lead:?}");
        }
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("a-b"), "a-b");
    }
}
