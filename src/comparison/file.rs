//! The offline comparison file (`routing-eval compare --input`): the vector format's
//! `{"config", "rows"}`.

use serde::Deserialize;

use super::cells::{CellRow, CellTable};
use super::config::{CellMatch, ComparisonConfig, ComparisonConfigBuilder};
use crate::error::{Error, ErrorKind};
use crate::metrics::RawCounts;

/// A comparison file read into a cell table and the settings it holds.
///
/// The format is `COMPARISON.md`'s vector format: `{"config"?, "rows"}`, where `config` may
/// hold `baseline`, `contenders`, `kpis`, `alpha`, `power` and also `treatment`, `within` and
/// `match` (which only label the output; defaults `usedRouting`, `["queueId"]`, `bucket`),
/// and each row is `{"cell": [..], "strategy", "counts": {..}}` with the nine count keys
/// (`offered`, `answered`, `answerTimeMs`, `abandoned`, `handled`, `handleTimeMs`,
/// `serviceLevelMet`, `serviceLevelTotal`, `transferred`; absent = not measured). A vector's
/// `name` and `expected` are ignored; any other key is an error, so a misspelt key is not
/// silently dropped.
///
/// # Example
/// ```
/// use genesys_routing_eval::comparison::{ComparisonFile, compare};
/// let json = br#"{"config": {"baseline": "B"}, "rows": [
///   {"cell": ["q1"], "strategy": "A", "counts": {"offered": 100, "abandoned": 5}},
///   {"cell": ["q1"], "strategy": "B", "counts": {"offered": 100, "abandoned": 9}},
///   {"cell": ["q2"], "strategy": "A", "counts": {"offered": 50, "abandoned": 2}},
///   {"cell": ["q2"], "strategy": "B", "counts": {"offered": 80, "abandoned": 6}}]}"#;
/// let file = ComparisonFile::from_slice(json)?;
/// let comparison = compare(&file.config().build()?, file.table())?;
/// assert_eq!(comparison.baseline, "B");
/// assert_eq!(comparison.results[0].cells, 2);
/// # Ok::<(), genesys_routing_eval::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ComparisonFile {
    config: ComparisonConfigBuilder,
    table: CellTable,
}

impl ComparisonFile {
    /// Reads a comparison file.
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] when the bytes are not JSON of this shape, naming the line,
    /// column and JSON path of the problem.
    pub fn from_slice(bytes: &[u8]) -> Result<ComparisonFile, Error> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let file: FileDoc = serde_path_to_error::deserialize(&mut de).map_err(decode_error)?;
        de.end().map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("not a comparison file: {e} after the document"),
            )
        })?;
        let mut table = CellTable::new();
        for row in file.rows {
            table.add_row(CellRow::new(row.cell, row.strategy, row.counts.into()));
        }
        Ok(ComparisonFile {
            config: file.config.unwrap_or_default().builder(),
            table,
        })
    }

    /// A builder holding the file's settings (defaults where it has none): set what the caller
    /// overrides, then [`build`](ComparisonConfigBuilder::build), which validates them all.
    pub fn config(&self) -> ComparisonConfigBuilder {
        self.config.clone()
    }

    /// The cells of the file's rows.
    pub fn table(&self) -> &CellTable {
        &self.table
    }

    /// The builder and the table, without copying.
    pub fn into_parts(self) -> (ComparisonConfigBuilder, CellTable) {
        (self.config, self.table)
    }
}

fn decode_error(e: serde_path_to_error::Error<serde_json::Error>) -> Error {
    let path = e.path().to_string();
    let inner = e.into_inner();
    let error = Error::new(
        ErrorKind::Decode,
        format!("not a comparison file ({{\"config\", \"rows\"}}): {inner}"),
    );
    // The path of a syntax error is where parsing stopped, which the line and column say.
    let error = if path.is_empty() || path == "." || inner.is_syntax() || inner.is_eof() {
        error
    } else {
        error.with_json_path(path)
    };
    error.with_source(inner)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    #[allow(dead_code)]
    name: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<FileConfig>,
    rows: Vec<FileRow>,
    #[serde(default)]
    #[allow(dead_code)]
    expected: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileConfig {
    treatment: Option<String>,
    within: Option<Vec<String>>,
    #[serde(rename = "match")]
    cell_match: Option<CellMatch>,
    baseline: Option<String>,
    contenders: Option<Vec<String>>,
    kpis: Option<Vec<String>>,
    alpha: Option<f64>,
    power: Option<f64>,
}

impl FileConfig {
    fn builder(self) -> ComparisonConfigBuilder {
        let defaults = ComparisonConfig::default();
        let mut b = ComparisonConfig::builder()
            .treatment(self.treatment.unwrap_or(defaults.treatment))
            .within(self.within.unwrap_or(defaults.within))
            .cell_match(self.cell_match.unwrap_or(defaults.cell_match))
            .alpha(self.alpha.unwrap_or(defaults.alpha))
            .power(self.power.unwrap_or(defaults.power));
        if let Some(baseline) = self.baseline {
            b = b.baseline(baseline);
        }
        if let Some(contenders) = self.contenders {
            b = b.contenders(contenders);
        }
        if let Some(kpis) = self.kpis {
            b = b.kpi_names(kpis);
        }
        b
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRow {
    cell: Vec<String>,
    strategy: String,
    counts: FileCounts,
}

/// The nine count keys of the contract, and no other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileCounts {
    offered: Option<u64>,
    answered: Option<u64>,
    answer_time_ms: Option<f64>,
    abandoned: Option<u64>,
    handled: Option<u64>,
    handle_time_ms: Option<f64>,
    service_level_met: Option<f64>,
    service_level_total: Option<f64>,
    transferred: Option<u64>,
}

impl From<FileCounts> for RawCounts {
    fn from(c: FileCounts) -> RawCounts {
        RawCounts {
            offered: c.offered,
            answered: c.answered,
            answer_time_ms: c.answer_time_ms,
            abandoned: c.abandoned,
            handled: c.handled,
            handle_time_ms: c.handle_time_ms,
            service_level_met: c.service_level_met,
            service_level_total: c.service_level_total,
            transferred: c.transferred,
            ..RawCounts::default()
        }
    }
}
