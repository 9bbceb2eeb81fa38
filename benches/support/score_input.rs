//! A deterministic score file generator, shared by the scoring bench and the
//! `score_input` example (which writes files for the CLI and pandas comparisons).

use std::fmt::Write;

/// A score file of `rows` strategies with the default KPIs (`handledCalls`,
/// `avgSpeedOfAnswer`, `abandonedCalls`), about 2% of values `null`, the same bytes for the
/// same `rows` and `seed`. No `config`: the defaults apply.
pub fn score_input(rows: usize, seed: u64) -> String {
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // SplitMix64: small, fast and good enough for synthetic volumes.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut out = String::with_capacity(rows * 110 + 16);
    out.push_str("{\"rows\":[");
    for i in 0..rows {
        if i > 0 {
            out.push(',');
        }
        let handled = next() % 5000;
        let asa = (next() % 900_000) as f64 / 1000.0;
        let abandoned = next() % 400;
        let asa = if next() % 50 == 0 {
            "null".to_owned()
        } else {
            asa.to_string()
        };
        write!(
            out,
            "{{\"strategyId\":\"s-{i:07}\",\"metrics\":{{\"handledCalls\":{handled},\"avgSpeedOfAnswer\":{asa},\"abandonedCalls\":{abandoned}}}}}"
        )
        .expect("writing to a String cannot fail");
    }
    out.push_str("]}\n");
    out
}
