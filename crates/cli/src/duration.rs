//! Durations on the command line: `30s`, `2m`, `1h30m`, `500ms`, or bare seconds (`45`).

use std::time::Duration;

/// Parses a duration for clap: one or more `<number><unit>` parts (`ms`, `s`, `m`, `h`), or a
/// bare number of seconds. Zero is refused: every flag taking one bounds something.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let hint = "give a duration such as 30s, 2m, 1h30m or 500ms";
    if let Ok(secs) = text.parse::<u64>() {
        return positive(Duration::from_secs(secs), hint);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; {hint}"))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(format!("`{text}` is not a duration; {hint}")),
        };
        rest = &rest[unit_len..];
        total =
            total.saturating_add(unit.saturating_mul(u32::try_from(number).unwrap_or(u32::MAX)));
    }
    positive(total, hint)
}

fn positive(d: Duration, hint: &str) -> Result<Duration, String> {
    if d.is_zero() {
        Err(format!("a zero duration bounds nothing; {hint}"))
    } else {
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_operators_write_them() {
        assert_eq!(parse("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse("0s").is_err());
        assert!(parse("soon").is_err());
        assert!(parse("10d").is_err());
        assert!(parse("").is_err());
    }
}
