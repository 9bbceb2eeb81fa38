//! Writes a synthetic score file for `routing-eval score` and the pandas baseline.
//!
//! ```text
//! cargo run --release --example score_input -- 1000000 > rows-1m.json
//! ```
//! Arguments: the number of rows (default 1000) and a seed (default 1).

#[path = "../benches/support/score_input.rs"]
mod support;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let rows = args
        .next()
        .map_or(Ok(1000), |a| a.parse())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("rows: {e}")))?;
    let seed = args
        .next()
        .map_or(Ok(1), |a| a.parse())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("seed: {e}")))?;
    std::io::stdout()
        .lock()
        .write_all(support::score_input(rows, seed).as_bytes())
}
