//! Who is compared with whom: the baseline and the contenders, in the contract's order.

use crate::error::{Error, ValidationError};

use super::config::ComparisonConfig;

/// The strategies (id, total offered) ordered by total offered, descending, then by id in
/// byte order.
pub(crate) fn by_offered<'t>(strategies: &[(&'t str, u64)]) -> Vec<&'t str> {
    let mut order: Vec<(u64, &str)> = strategies
        .iter()
        .map(|&(id, offered)| (offered, id))
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    order.into_iter().map(|(_, id)| id).collect()
}

/// The baseline and the contenders (in result order), or a configuration error naming the
/// strategies present when the baseline or a contender has no cells.
pub(crate) fn baseline_and_contenders(
    config: &ComparisonConfig,
    ordered: &[&str],
) -> Result<(String, Vec<String>), Error> {
    let Some(first) = ordered.first() else {
        return Err(Error::invalid(ValidationError::Invalid {
            name: "rows".into(),
            reason: "there are no cells; a comparison needs rows of at least two strategies".into(),
        }));
    };
    let baseline = config.baseline.as_deref().unwrap_or(first);
    let mut problems = Vec::new();
    if !ordered.contains(&baseline) {
        problems.push(absent("baseline", baseline, ordered));
    }
    let contenders: Vec<String> = match &config.contenders {
        Some(given) => {
            for c in given.iter().filter(|c| !ordered.contains(&c.as_str())) {
                problems.push(absent("contender", c, ordered));
            }
            if given.iter().any(|c| c == baseline) {
                problems.push(ValidationError::Invalid {
                    name: "contender".into(),
                    reason: format!(
                        "`{baseline}` is the baseline (the most offered strategy unless one is named); name another baseline or drop it from the contenders"
                    ),
                });
            }
            ordered
                .iter()
                .filter(|id| given.iter().any(|g| g == *id))
                .map(|id| (*id).to_owned())
                .collect()
        }
        None => ordered
            .iter()
            .filter(|id| **id != baseline)
            .map(|id| (*id).to_owned())
            .collect(),
    };
    Error::unless_problems(problems).map(|()| (baseline.to_owned(), contenders))
}

fn absent(setting: &str, id: &str, present: &[&str]) -> ValidationError {
    let mut names: Vec<&str> = present.to_vec();
    names.sort_unstable();
    ValidationError::Invalid {
        name: setting.into(),
        reason: format!(
            "`{id}` has no cells; the strategies present are: {}",
            names.join(", ")
        ),
    }
}
