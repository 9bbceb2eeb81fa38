//! What a parsed score file must also satisfy to mean something: one row per strategy, no
//! negative KPI values, and every configured KPI present in some row.
//!
//! Run on the parsed [`ScoreFile`], whichever reader parsed it, so the fast path and the serde
//! reader cannot disagree on what is refused.

use std::collections::HashMap;

use super::file::ScoreFile;
use crate::error::{Error, ErrorKind, ValidationError};
use crate::metrics::Kpi;

/// Checks `file` for what parses but cannot be scored sensibly.
///
/// # Errors
/// [`ErrorKind::Config`], naming the row (index and id) or KPI and the JSON path: a strategy id
/// given twice, a negative value of a KPI the crate knows (`handledCalls`, `abandonRate`,
/// ...), or a configured KPI that no row holds (with the nearest name the file has).
pub(crate) fn check(file: &ScoreFile) -> Result<(), Error> {
    duplicate_ids(file)?;
    negative_values(file)?;
    absent_kpis(file)
}

fn duplicate_ids(file: &ScoreFile) -> Result<(), Error> {
    let ids = file.cohort.ids();
    let mut first_row: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
    for (row, id) in ids.iter().enumerate() {
        if let Some(earlier) = first_row.insert(id, row) {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "row {row}: strategy id `{id}` repeats row {earlier}; give each strategy one row"
                ),
            )
            .with_json_path(format!("rows[{row}].strategyId")));
        }
    }
    Ok(())
}

fn negative_values(file: &ScoreFile) -> Result<(), Error> {
    let cohort = &file.cohort;
    for name in cohort.metric_names() {
        let Some(kpi) = Kpi::from_name(name) else {
            continue;
        };
        let Some(values) = cohort.column(name) else {
            continue;
        };
        if let Some((row, value)) = values.iter().enumerate().find(|(_, v)| **v < 0.0) {
            let what = if kpi.is_count() { "a count" } else { "it" };
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "row {row} (`{}`): {name} is {value}; {what} cannot be negative",
                    &cohort.ids()[row]
                ),
            )
            .with_json_path(format!("rows[{row}].metrics.{name}")));
        }
    }
    Ok(())
}

/// A KPI that no row has scores nothing: with every KPI absent, every row comes out unscored
/// and the command seems to succeed. Usually a typo.
fn absent_kpis(file: &ScoreFile) -> Result<(), Error> {
    let cohort = &file.cohort;
    if cohort.is_empty() {
        return Ok(());
    }
    let config = file.config_or_default();
    let problems: Vec<ValidationError> = config
        .metrics()
        .filter(|metric| {
            !cohort
                .column(metric)
                .is_some_and(|values| values.iter().any(|v| v.is_finite()))
        })
        .map(|metric| ValidationError::Kpi {
            metric: metric.to_owned(),
            reason: absent_reason(metric, cohort.metric_names()),
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::validation_errors(problems))
    }
}

fn absent_reason(metric: &str, names: &[String]) -> String {
    let known = names
        .iter()
        .map(String::as_str)
        .chain(Kpi::ALL.iter().map(|k| k.name()));
    match nearest(metric, known) {
        Some(near) => format!("no row has a value for it; did you mean `{near}`?"),
        None if names.is_empty() => "no row has a value for it (the rows name no metric)".into(),
        None => format!(
            "no row has a value for it; the rows name: {}",
            names
                .iter()
                .take(10)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The candidate closest to `name` by edit distance, ignoring case, when close enough to be a
/// slip: within a third of the name's length (at least 1).
fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_name_is_a_small_slip_or_nothing() {
        let names = ["handledCalls", "avgSpeedOfAnswer", "abandonedCalls"];
        assert_eq!(
            nearest("handledCall", names.into_iter()),
            Some("handledCalls")
        );
        assert_eq!(
            nearest("AVGSPEEDOFANSWER", names.into_iter()),
            Some("avgSpeedOfAnswer")
        );
        assert_eq!(nearest("happiness", names.into_iter()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
