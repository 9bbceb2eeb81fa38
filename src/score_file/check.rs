//! What a parsed score file must also satisfy to mean something: one row per strategy, no
//! negative KPI values, and every configured KPI present in some row.
//!
//! Run on the parsed [`ScoreFile`], whichever reader parsed it, so the fast path and the serde
//! reader cannot disagree on what is refused.

use std::collections::HashMap;

use super::ScoreFile;
use crate::error::{Error, ErrorKind, ValidationError};
use crate::metrics::Kpi;

/// Checks `file` for what parses but cannot be scored sensibly.
///
/// # Errors
/// [`ErrorKind::Config`], naming the row (index and id) or KPI and the JSON path: a strategy id
/// given twice, a negative value of a KPI the crate knows (`handledCalls`, `abandonRate`,
/// ...), a KPI of the file's `config` that no row holds, or (without a `config`) no default
/// KPI in any row; naming the nearest metric name.
pub(crate) fn check(file: &ScoreFile) -> Result<(), Error> {
    duplicate_ids(file)?;
    negative_values(file)?;
    absent_kpis(file)
}

fn duplicate_ids(file: &ScoreFile) -> Result<(), Error> {
    let ids = file.cohort.ids();
    if !has_repeated_fingerprint(ids) {
        return Ok(());
    }
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

/// Whether two ids share a 64-bit fingerprint: almost always a repeated id (the exact search
/// confirms it). A million ids are a hot path of `routing-eval score`, so they are hashed
/// (one multiply a word) and sorted as plain `u64`s: about 30 ms for 1M ids, where a hash set
/// of the ids took 35 to 70 ms (cache misses).
fn has_repeated_fingerprint(ids: &crate::scoring::StrategyIds) -> bool {
    let mut fingerprints: Vec<u64> = ids.iter().map(fingerprint).collect();
    fingerprints.sort_unstable();
    fingerprints.windows(2).any(|w| w[0] == w[1])
}

/// A 64-bit hash of `id`, mixed well enough to index a table with directly.
fn fingerprint(id: &str) -> u64 {
    let bytes = id.as_bytes();
    let mut hash = bytes.len() as u64;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        hash = (hash ^ u64::from_le_bytes(word))
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(29);
    }
    // The finaliser of MurmurHash3: every input bit reaches every output bit.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
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

/// A KPI that no row has scores nothing: usually a typo, and when every KPI is absent every
/// row comes out unscored while the command seems to succeed. A file's own `config` must name
/// only metrics some row has; the default config (no `config` given) must find at least one.
fn absent_kpis(file: &ScoreFile) -> Result<(), Error> {
    let cohort = &file.cohort;
    if cohort.is_empty() {
        return Ok(());
    }
    let config = file.config_or_default();
    let present = |metric: &str| {
        cohort
            .column(metric)
            .is_some_and(|values| values.iter().any(|v| v.is_finite()))
    };
    let absent: Vec<&str> = config.metrics().filter(|m| !present(m)).collect();
    let explicit = file.config.is_some();
    if absent.is_empty() || (!explicit && absent.len() < config.kpis.len()) {
        return Ok(());
    }
    let configured: Vec<&str> = config.metrics().collect();
    let names = cohort.metric_names();
    if !explicit {
        return Err(Error::invalid(ValidationError::Kpi {
            metric: String::new(),
            reason: no_default_kpi_reason(&configured, names),
        }));
    }
    let problems = absent
        .into_iter()
        .map(|metric| ValidationError::Kpi {
            metric: metric.to_owned(),
            reason: absent_reason(metric, names, &configured),
        })
        .collect();
    Err(Error::validation_errors(problems))
}

/// Without a `config`, none of the default KPIs is in any row: one problem for the file.
fn no_default_kpi_reason(defaults: &[&str], names: &[String]) -> String {
    let slips: Vec<String> = defaults
        .iter()
        .filter_map(|kpi| {
            nearest(kpi, names.iter().map(String::as_str))
                .map(|near| format!("`{near}` for `{kpi}`?"))
        })
        .collect();
    let hint = if slips.is_empty() {
        format!("the rows name: {}", listed(names))
    } else {
        format!("did you mean {}", slips.join(", "))
    };
    format!(
        "no row has a value for any default KPI ({}); {hint}; the file has no `config`: add one naming the rows' metrics",
        defaults.join(", ")
    )
}

/// Up to ten names, comma separated; `none` for none.
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let mut text = names
        .iter()
        .take(10)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 10 {
        text.push_str(", ...");
    }
    text
}

fn absent_reason(metric: &str, names: &[String], configured: &[&str]) -> String {
    // A slip is a name the config does not use already: a metric of the rows, or a KPI name.
    let unused = |name: &&str| !configured.contains(name);
    let rows = names.iter().map(String::as_str);
    let kpis = Kpi::ALL.iter().map(|k| k.name());
    let near = if Kpi::from_name(metric).is_some() {
        nearest(metric, rows.filter(unused))
    } else {
        nearest(metric, rows.chain(kpis).filter(unused))
    };
    match near {
        Some(near) => format!(
            "no row has a value for it; did you mean `{near}`? (fix the name in `config.kpis` or add the metric to the rows)"
        ),
        None => format!(
            "no row has a value for it; the rows name: {}; fix the name in `config.kpis` or add the metric to the rows",
            listed(names)
        ),
    }
}

/// The candidate closest to `name` by edit distance, ignoring case, when close enough to be a
/// slip: within a quarter of the name's length (at least 1).
fn nearest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 4).max(1);
    let lower = name.to_lowercase();
    candidates
        .filter(|c| *c != name)
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
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
        assert_eq!(
            nearest("abandonedCalls", ["handledCalls"].into_iter()),
            None
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
