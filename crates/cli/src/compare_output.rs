//! What `compare` prints: the table for people (strategies by name, units in the headers,
//! verdicts in words, reversal footnote, detectable differences as sentences) and the CSV.

use std::io::{self, Write};

use genesys_routing_eval::DataOrigin;
use genesys_routing_eval::comparison::{Comparison, ComparisonResult, KpiKind, Verdict};
use genesys_routing_eval::evaluation::Fallbacks;
use genesys_routing_eval::names::Names;

use crate::output::{Table, csv_text, display_name, escape, json_number};

/// The people's view of `comparison`: strategies by their resolved names (`names`; the id
/// when unresolved), cut to [`MAX_NAME_WIDTH`](crate::output::MAX_NAME_WIDTH) with an ellipsis;
/// one table for the rates (values in %, differences in percentage points) and one for the
/// means (seconds), so each column's unit is in its header.
pub fn write_table(comparison: &Comparison, names: &Names, out: &mut impl Write) -> io::Result<()> {
    let strategy = |id: &str| display_name(names, &comparison.treatment, id);
    for line in header_lines(comparison, &strategy(&comparison.baseline)) {
        writeln!(out, "{line}")?;
    }
    if comparison.results.is_empty() {
        writeln!(
            out,
            "no contender to compare with {}: the data holds no other strategy",
            escape(&strategy(&comparison.baseline))
        )?;
        return Ok(());
    }
    for rates in [true, false] {
        let results: Vec<&ComparisonResult> = comparison
            .results
            .iter()
            .filter(|r| is_rate(r.kind) == rates)
            .collect();
        if let Some(first) = results.first() {
            writeln!(out)?;
            results_table(comparison, first.kind, &results, &strategy).write(out)?;
        }
    }
    if comparison.has_reversal() {
        writeln!(
            out,
            "* reversal: pooled over all their traffic, the difference points the other way; the pooled view is confounded by traffic mix (which queues and hours each strategy served), the within-cell difference is not"
        )?;
    }
    writeln!(out)?;
    for r in &comparison.results {
        writeln!(out, "{}", detectable(r, &strategy(&r.contender)))?;
    }
    Ok(())
}

fn is_rate(kind: KpiKind) -> bool {
    kind == KpiKind::Rate
}

fn header_lines(c: &Comparison, baseline: &str) -> [String; 2] {
    let within = if c.within.is_empty() {
        "the whole traffic".to_owned()
    } else {
        c.within
            .iter()
            .map(|d| escape(d).into_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let tested = c.results.iter().filter(|r| r.p_value.is_some()).count();
    [
        format!(
            "Comparison on the same traffic against baseline {} (strategies by {}; cells of {} by {})",
            escape(baseline),
            escape(&c.treatment),
            within,
            c.cell_match
        ),
        format!(
            "p-values Holm-adjusted over {tested} test{}, alpha {}; {} intervals; detectable differences at power {}",
            if tested == 1 { "" } else { "s" },
            json_number(c.alpha),
            level(c.alpha),
            json_number(c.power)
        ),
    ]
}

/// The interval's confidence level, `95%` for alpha 0.05.
fn level(alpha: f64) -> String {
    let percent = ((1.0 - alpha) * 1000.0).round() / 10.0;
    if percent.fract() == 0.0 {
        format!("{percent:.0}%")
    } else {
        format!("{percent}%")
    }
}

/// The table of `results`, all of `kind`: the value unit (`%`, `s`) and the difference unit
/// (`pp`, `s`) in the headers, bare numbers in the cells.
fn results_table(
    c: &Comparison,
    kind: KpiKind,
    results: &[&ComparisonResult],
    strategy: &dyn Fn(&str) -> String,
) -> Table {
    let value_unit = if is_rate(kind) { "%" } else { "s" };
    let diff_unit = unit(kind);
    let header = [
        "contender".to_owned(),
        "kpi".to_owned(),
        format!("baseline {value_unit}"),
        format!("contender {value_unit}"),
        format!("difference {diff_unit}"),
        format!("{} interval {diff_unit}", level(c.alpha)),
        "verdict".to_owned(),
        "cells".to_owned(),
        "coverage % (contender / baseline)".to_owned(),
    ];
    let mut table = Table::new(header.into(), &[0, 1, 6]);
    for r in results {
        table.push(vec![
            strategy(&r.contender),
            r.kpi.to_string(),
            value(r.kind, r.baseline_adjusted),
            value(r.kind, r.contender_adjusted),
            difference(r.kind, r.difference),
            interval(r),
            verdict(r, &strategy(&r.contender), &strategy(&c.baseline)),
            r.cells.to_string(),
            format!(
                "{} / {}",
                share(r.contender_coverage),
                share(r.baseline_coverage)
            ),
        ]);
    }
    table
}

/// An adjusted value in its header's unit: a rate in percent, a mean in seconds.
fn value(kind: KpiKind, v: Option<f64>) -> String {
    match (is_rate(kind), v) {
        (_, None) => "-".into(),
        (false, Some(v)) => format!("{v:.1}"),
        (true, Some(v)) => format!("{:.2}", v * 100.0),
    }
}

/// A difference in its header's unit: percentage points for a rate, seconds for a mean.
fn difference(kind: KpiKind, d: Option<f64>) -> String {
    match d {
        None => "-".into(),
        Some(d) => format!("{:+.2}", scaled(kind, d)),
    }
}

fn scaled(kind: KpiKind, v: f64) -> f64 {
    if is_rate(kind) { v * 100.0 } else { v }
}

fn unit(kind: KpiKind) -> &'static str {
    if is_rate(kind) { "pp" } else { "s" }
}

fn interval(r: &ComparisonResult) -> String {
    match (r.ci_low, r.ci_high) {
        (Some(lo), Some(hi)) => format!("[{:+.2}, {:+.2}]", scaled(r.kind, lo), scaled(r.kind, hi)),
        _ => "-".into(),
    }
}

/// The verdict in words, naming the strategy that is better; `*` marks a reversal.
fn verdict(r: &ComparisonResult, contender: &str, baseline: &str) -> String {
    let words = match r.verdict {
        Verdict::ContenderBetter => format!("{contender} better"),
        Verdict::BaselineBetter => format!("{baseline} better"),
        Verdict::Inconclusive => "inconclusive".into(),
        _ => "not enough data".into(),
    };
    if r.reversal {
        format!("{words} *")
    } else {
        words
    }
}

fn share(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{:.0}", v * 100.0))
}

/// The minimum detectable difference of one result, as a sentence.
fn detectable(r: &ComparisonResult, contender: &str) -> String {
    let subject = format!("{}, {}", escape(contender), r.kpi);
    match r.minimum_detectable_difference {
        Some(mde) => format!(
            "{subject}: differences smaller than {:.2} {} are not detectable with this data",
            scaled(r.kind, mde),
            unit(r.kind)
        ),
        None if r.cells == 0 => format!(
            "{subject}: no cell holds both strategies, so no difference is detectable with this data"
        ),
        None => format!(
            "{subject}: too few shared cells or too little variation to say which differences are detectable"
        ),
    }
}

/// One line per contender and KPI: the baseline, then the contract's fields in its order;
/// a last `dataOrigin` column when the data came from a run (`origin`), so that an emulator's
/// figures say so on every line.
pub fn write_csv(
    c: &Comparison,
    origin: Option<DataOrigin>,
    out: &mut impl Write,
) -> io::Result<()> {
    let origin_header = if origin.is_some() { ",dataOrigin" } else { "" };
    writeln!(
        out,
        "baseline,contender,kpi,kind,direction,cells,contenderVolume,baselineVolume,contenderCoverage,baselineCoverage,contenderAdjusted,baselineAdjusted,difference,relativeDifference,standardError,df,ciLow,ciHigh,pValue,pAdjusted,minimumDetectableDifference,verdict,pooledDifference,pooledDisagrees,reversal{origin_header}"
    )?;
    let number = |v: Option<f64>| v.map(json_number).unwrap_or_default();
    for r in &c.results {
        let fields = [
            csv_text(&c.baseline).into_owned(),
            csv_text(&r.contender).into_owned(),
            r.kpi.to_string(),
            r.kind.to_string(),
            direction(r),
            r.cells.to_string(),
            r.contender_volume.to_string(),
            r.baseline_volume.to_string(),
            number(r.contender_coverage),
            number(r.baseline_coverage),
            number(r.contender_adjusted),
            number(r.baseline_adjusted),
            number(r.difference),
            number(r.relative_difference),
            number(r.standard_error),
            r.df.map(|d| d.to_string()).unwrap_or_default(),
            number(r.ci_low),
            number(r.ci_high),
            number(r.p_value),
            number(r.p_adjusted),
            number(r.minimum_detectable_difference),
            r.verdict.to_string(),
            number(r.pooled_difference),
            r.pooled_disagrees
                .map(|b| b.to_string())
                .unwrap_or_default(),
            r.reversal.to_string(),
        ];
        let origin = origin.map(|o| format!(",{o}")).unwrap_or_default();
        writeln!(out, "{}{origin}", fields.join(","))?;
    }
    Ok(())
}

fn direction(r: &ComparisonResult) -> String {
    use genesys_routing_eval::scoring::Direction;
    match r.direction {
        Direction::LowerIsBetter => "lower_is_better",
        Direction::HigherIsBetter => "higher_is_better",
    }
    .into()
}

/// The fallback table: per requested method, the share each used method delivered.
pub fn write_fallbacks(fallbacks: &Fallbacks, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Fallbacks: who delivered each requested method's interactions (requestedRouting by usedRouting)"
    )?;
    let header = ["requested", "delivered by", "offered", "share"].map(String::from);
    let mut table = Table::new(header.into(), &[0, 1]);
    for row in &fallbacks.rows {
        let used = if row.used.is_empty() {
            "(not routed)".to_owned()
        } else {
            row.used.clone()
        };
        table.push(vec![
            row.requested.clone(),
            used,
            row.offered.to_string(),
            format!("{:.1}%", row.share * 100.0),
        ]);
    }
    table.write(out)?;
    writeln!(
        out,
        "An interaction requested with one method and delivered by another counts for the one that delivered it (as treated); compare with --group-by requestedRouting to count it for the one requested (as assigned)."
    )
}
