//! The offline score file of `routing-eval score`: `{"config"?, "rows"}` in,
//! `{"scores": [...]}` or CSV out. The [`scoring`](crate::scoring) engine itself has no I/O;
//! this module reads its input from bytes and writes its output.
//!
//! Rows stream straight into a [`Cohort`]'s columns: nothing is allocated per row but the
//! strategy id, so a million-row file costs its columns and its ids.
//!
//! Everything runs on the calling thread unless [`Options::parallel`] asks for a second one.
//!
//! # Example
//! ```
//! use genesys_routing_eval::score_file::{self, Options, ScoreFile};
//! use genesys_routing_eval::scoring::score;
//!
//! let input = br#"{"rows": [{"strategyId": "Vip", "metrics": {"handledCalls": 3}},
//!                           {"strategyId": "Std", "metrics": {"handledCalls": 5}}]}"#;
//! let options = Options::new().parallel(true); // large files may use two threads
//! let file = ScoreFile::from_slice_with(input, options)?;
//! let scores = score(&file.config_or_default(), &file.cohort)?;
//! let mut out = Vec::new();
//! score_file::write_json_with(&scores, &mut out, options)?;
//! assert!(out.starts_with(br#"{"scores":[{"strategyId":"Vip","#));
//! # Ok::<(), genesys_routing_eval::Error>(())
//! ```

mod check;
pub(crate) mod fast_parse;

use std::fmt;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::mpsc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::ser::Formatter;

use crate::error::{Error, ErrorKind};
use crate::scoring::{Cohort, MAX_FILE_METRICS, Scores, ScoringConfig};

/// How a score file is read and written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    parallel: bool,
}

impl Options {
    /// Every default: one thread, the caller's.
    pub fn new() -> Options {
        Options::default()
    }

    /// Whether a large file may use a second thread (default `false`): reading when the rows
    /// take 1 MiB or more, writing JSON from 50 000 rows. The result is the same either way;
    /// a command that owns its process (`routing-eval score`) turns it on for wall time, a
    /// library caller leaves its threads to itself.
    pub fn parallel(mut self, parallel: bool) -> Options {
        self.parallel = parallel;
        self
    }
}

/// A parsed score file: the config (when given) and the rows.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ScoreFile {
    /// The file's `config`; `None` means [`ScoringConfig::default`].
    pub config: Option<ScoringConfig>,
    /// The file's `rows`.
    pub cohort: Cohort,
}

impl ScoreFile {
    /// Parses a score file: `{"config"?, "rows": [{"strategyId", "metrics": {name: number |
    /// null}}]}`. Other top-level keys (a vector's `name`, `expected`) are ignored. On the
    /// calling thread only; [`ScoreFile::from_slice_with`] can use two.
    ///
    /// A UTF-8 byte order mark at the start is skipped (editors on Windows write one).
    ///
    /// # Errors
    /// [`ErrorKind::Decode`] naming the JSON path, line and column of the first problem (a
    /// metric given twice in one row is one). [`ErrorKind::Config`] for a file that parses
    /// but cannot be scored sensibly: a strategy id in two rows, a negative value of a known
    /// KPI, or a configured KPI that no row has (naming the nearest metric name).
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::score_file::ScoreFile;
    /// let file = ScoreFile::from_slice(br#"{"rows": [{"strategyId": "Vip", "metrics": {"handledCalls": 3}}]}"#)?;
    /// assert!(file.cohort.ids().iter().eq(["Vip"]));
    /// # Ok::<(), genesys_routing_eval::Error>(())
    /// ```
    pub fn from_slice(bytes: &[u8]) -> Result<ScoreFile, Error> {
        ScoreFile::from_slice_with(bytes, Options::default())
    }

    /// [`ScoreFile::from_slice`], with a second thread for a large file when `options` allow
    /// it.
    ///
    /// # Errors
    /// As [`ScoreFile::from_slice`].
    pub fn from_slice_with(bytes: &[u8], options: Options) -> Result<ScoreFile, Error> {
        let bytes = without_bom(bytes);
        let file = match fast_parse::parse(bytes, options.parallel) {
            Some(file) => file,
            None => ScoreFile::from_slice_serde(bytes)?,
        };
        check::check(&file)?;
        Ok(file)
    }

    /// The reference reader: serde over the whole file.
    pub(crate) fn from_slice_serde(bytes: &[u8]) -> Result<ScoreFile, Error> {
        let bytes = without_bom(bytes);
        let mut de = serde_json::Deserializer::from_slice(bytes);
        match ScoreFile::deserialize(&mut de).and_then(|f| de.end().map(|()| f)) {
            Ok(file) => Ok(file),
            // The fast path does not track paths; the rare failure is parsed again to find it.
            Err(_) => Err(Self::locate_error(bytes)),
        }
    }

    fn locate_error(bytes: &[u8]) -> Error {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let mut track = serde_path_to_error::Track::new();
        let result =
            ScoreFile::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
                .and_then(|_| de.end());
        let err = match result {
            Err(e) => e,
            Ok(()) => return Error::new(ErrorKind::Decode, "score file could not be parsed"),
        };
        let path = track.path().to_string();
        let message = format!(
            "score file is malformed at `{path}` (line {}, column {}): {}; expected {{\"config\"?, \"rows\": [{{\"strategyId\", \"metrics\": {{name: number|null}}}}]}}",
            err.line(),
            err.column(),
            strip_position(&err.to_string()),
        );
        Error::new(ErrorKind::Decode, message)
            .with_json_path(path)
            .with_source(err)
    }

    /// The config to score with: the file's, or the default.
    pub fn config_or_default(&self) -> ScoringConfig {
        self.config.clone().unwrap_or_default()
    }
}

/// `bytes` without a leading UTF-8 byte order mark.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// serde_json appends " at line L column C"; the message gives them once, by name.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |at| &message[..at])
}

impl<'de> Deserialize<'de> for ScoreFile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FileVisitor)
    }
}

struct FileVisitor;

impl<'de> Visitor<'de> for FileVisitor {
    type Value = ScoreFile;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with `rows` and optionally `config`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScoreFile, A::Error> {
        let mut config = None;
        let mut cohort = None;
        while let Some(key) = map.next_key::<FileKey>()? {
            match key {
                FileKey::Config => config = Some(map.next_value::<Option<ScoringConfig>>()?),
                FileKey::Rows => {
                    let mut rows = Cohort::new();
                    map.next_value_seed(RowsSeed(&mut rows))?;
                    cohort = Some(rows);
                }
                FileKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let cohort = cohort.ok_or_else(|| de::Error::missing_field("rows"))?;
        Ok(ScoreFile {
            config: config.flatten(),
            cohort,
        })
    }
}

enum FileKey {
    Config,
    Rows,
    Other,
}

impl<'de> Deserialize<'de> for FileKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = FileKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FileKey, E> {
                Ok(match v {
                    "config" => FileKey::Config,
                    "rows" => FileKey::Rows,
                    _ => FileKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct RowsSeed<'c>(&'c mut Cohort);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RowSeed(self.0))?.is_some() {}
        Ok(())
    }
}

struct RowSeed<'c>(&'c mut Cohort);

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row {\"strategyId\", \"metrics\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let row = self.0.begin_row();
        let mut id = None;
        let mut seen = Vec::new();
        while let Some(key) = map.next_key::<RowKey>()? {
            match key {
                RowKey::StrategyId => id = Some(map.next_value::<String>()?),
                RowKey::Metrics => map.next_value_seed(MetricsSeed {
                    cohort: self.0,
                    row,
                    seen: &mut seen,
                })?,
                RowKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("strategyId"))?;
        self.0.finish_row(&id);
        Ok(())
    }
}

enum RowKey {
    StrategyId,
    Metrics,
    Other,
}

impl<'de> Deserialize<'de> for RowKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = RowKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RowKey, E> {
                Ok(match v {
                    "strategyId" => RowKey::StrategyId,
                    "metrics" => RowKey::Metrics,
                    _ => RowKey::Other,
                })
            }
        }
        deserializer.deserialize_identifier(KeyVisitor)
    }
}

struct MetricsSeed<'c> {
    cohort: &'c mut Cohort,
    row: usize,
    /// Columns given a value in this row so far.
    seen: &'c mut Vec<usize>,
}

impl<'de> DeserializeSeed<'de> for MetricsSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MetricsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map from metric name to number or null")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(column) = map.next_key_seed(ColumnSeed(self.cohort))? {
            // Which value would count is a guess either way (JSON leaves it open): refuse.
            if self.seen.contains(&column) {
                return Err(de::Error::custom(format_args!(
                    "metric `{}` is given twice in this row; keep one",
                    self.cohort.metric_names()[column]
                )));
            }
            self.seen.push(column);
            let value = map.next_value::<Option<f64>>()?.unwrap_or(f64::NAN);
            self.cohort.set(column, self.row, value);
        }
        Ok(())
    }
}

/// Resolves a metric name to its column without allocating, except for a name never seen.
struct ColumnSeed<'c>(&'c mut Cohort);

impl<'de> DeserializeSeed<'de> for ColumnSeed<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for ColumnSeed<'_> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a metric name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
        self.0.column_index_capped(v).ok_or_else(|| {
            E::custom(format_args!(
                "more than {MAX_FILE_METRICS} distinct metric names; a score file names the metrics its KPIs score"
            ))
        })
    }
}

/// Writes `{"scores": [{"strategyId", "score", "coverage", "percentileRank"}, ...]}` in input
/// order, numbers in serde_json's shortest round-trip form, `null` where unscored. On the
/// calling thread only; [`write_json_with`] can use two.
///
/// # Errors
/// [`ErrorKind::Io`] when writing fails.
pub fn write_json<W: Write>(scores: &Scores, writer: W) -> Result<(), Error> {
    write_json_with(scores, writer, Options::default())
}

/// [`write_json`], with a second formatting thread for a large cohort when `options` allow it.
///
/// # Errors
/// [`ErrorKind::Io`] when writing fails.
pub fn write_json_with<W: Write>(
    scores: &Scores,
    mut writer: W,
    options: Options,
) -> Result<(), Error> {
    let written = (|| {
        writer.write_all(b"{\"scores\":[")?;
        if options.parallel && scores.len() >= PARALLEL_MIN_ROWS {
            write_rows_on_two_threads(scores, &mut writer)?;
        } else {
            let mut out = Vec::with_capacity(CHUNK_ROWS * ROW_BYTES_GUESS);
            for rows in chunks(scores.len()) {
                format_rows(&mut out, scores, rows);
                writer.write_all(&out)?;
            }
        }
        writer.write_all(b"]}\n")?;
        writer.flush()
    })();
    written.map_err(io_error)
}

/// Formatting dominates the output cost, so a large cohort's rows are formatted on two cores:
/// another thread formats every odd chunk while this one formats the even ones and writes all
/// of them in order. The other thread's buffers come back to it once written, so a handful
/// of buffers serve the whole output and stay warm in cache.
fn write_rows_on_two_threads<W: Write>(scores: &Scores, writer: &mut W) -> io::Result<()> {
    let (formatted, ready) = mpsc::sync_channel::<Vec<u8>>(2);
    let (recycle, spare) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for rows in chunks(scores.len()).skip(1).step_by(2) {
                let mut out = spare.try_recv().unwrap_or_default();
                format_rows(&mut out, scores, rows);
                // The writer stopped (an error): nothing more to format.
                if formatted.send(out).is_err() {
                    return;
                }
            }
        });
        let mut out = Vec::with_capacity(CHUNK_ROWS * ROW_BYTES_GUESS);
        let mut write_all = || -> io::Result<()> {
            for (n, rows) in chunks(scores.len()).enumerate() {
                if n % 2 == 0 {
                    format_rows(&mut out, scores, rows);
                    writer.write_all(&out)?;
                } else {
                    let theirs = ready.recv().expect("the formatting thread does not panic");
                    writer.write_all(&theirs)?;
                    // The other thread may have finished; a buffer it no longer needs drops.
                    let _ = recycle.send(theirs);
                }
            }
            Ok(())
        };
        let written = write_all();
        // On an error the other thread may be waiting to hand over a chunk: closing the
        // channel ends it, so the scope can join it.
        drop(ready);
        written
    })
}

/// The row ranges `write_json` formats and writes as one piece each.
fn chunks(rows: usize) -> impl Iterator<Item = Range<usize>> {
    (0..rows)
        .step_by(CHUNK_ROWS)
        .map(move |start| start..rows.min(start + CHUNK_ROWS))
}

/// Replaces `out` with `rows` formatted, each after a `,` but the very first row.
fn format_rows(out: &mut Vec<u8>, scores: &Scores, rows: Range<usize>) {
    out.clear();
    for index in rows {
        if index > 0 {
            out.push(b',');
        }
        write_json_row(out, scores, index);
    }
}

/// Below this many rows a second formatting thread costs more than it saves.
const PARALLEL_MIN_ROWS: usize = 50_000;
/// Rows per piece of output: about 400 KiB, big enough to make each write and hand-over
/// cheap, small enough to stay in cache.
const CHUNK_ROWS: usize = 4096;
/// What a row of output usually takes, to size a buffer once.
const ROW_BYTES_GUESS: usize = 100;

/// One row of `write_json`, byte for byte what serde_json writes for it.
fn write_json_row(out: &mut Vec<u8>, scores: &Scores, index: usize) {
    let row = scores.get(index).expect("index in range");
    out.extend_from_slice(b"{\"strategyId\":");
    write_json_str(out, row.strategy_id);
    out.extend_from_slice(b",\"score\":");
    write_json_number(out, row.score);
    out.extend_from_slice(b",\"coverage\":");
    write_json_number(out, Some(row.coverage));
    out.extend_from_slice(b",\"percentileRank\":");
    write_json_number(out, row.percentile_rank);
    out.push(b'}');
}

/// A string as serde_json writes it: as is when nothing needs escaping (the usual id), else
/// through serde_json itself so escapes stay identical.
fn write_json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        serde_json::to_writer(out, s).expect("writing to memory cannot fail");
    } else {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    }
}

/// A number as serde_json's serializer writes it: `null` unless finite, else its formatter's
/// shortest round-trip form (the same call serde_json makes).
fn write_json_number(out: &mut Vec<u8>, v: Option<f64>) {
    match v.filter(|v| v.is_finite()) {
        // Full coverage and the best percentile rank are 1 for most rows: serde_json's own
        // form for 1, without the general formatter.
        Some(1.0) => out.extend_from_slice(b"1.0"),
        Some(v) => serde_json::ser::CompactFormatter
            .write_f64(out, v)
            .expect("writing to memory cannot fail"),
        None => out.extend_from_slice(b"null"),
    }
}

/// Writes a CSV in input order: `strategyId,score,coverage,percentileRank` then one
/// `<metric>.normalized` column per KPI; empty cells where missing.
///
/// # Errors
/// [`ErrorKind::Io`] when writing fails.
pub fn write_csv<W: Write>(scores: &Scores, mut writer: W) -> Result<(), Error> {
    let mut write = || -> io::Result<()> {
        writer.write_all(b"strategyId,score,coverage,percentileRank")?;
        for kpi in scores.kpis() {
            writer.write_all(b",")?;
            write_csv_field(&mut writer, &format!("{}.normalized", kpi.metric))?;
        }
        writer.write_all(b"\n")?;
        for row in scores.iter() {
            write_csv_field(&mut writer, row.strategy_id)?;
            for v in [row.score, Some(row.coverage), row.percentile_rank]
                .into_iter()
                .chain(row.normalized().map(|(_, v)| v))
            {
                writer.write_all(b",")?;
                if let Some(v) = v {
                    write_number(&mut writer, v)?;
                }
            }
            writer.write_all(b"\n")?;
        }
        writer.flush()
    };
    write().map_err(io_error)
}

/// A number as serde_json writes it (shortest round-trip form).
pub(crate) fn write_number<W: Write>(writer: &mut W, v: f64) -> io::Result<()> {
    serde_json::to_writer(writer, &v).map_err(io::Error::from)
}

/// RFC 4180: quote a field holding a comma, quote or line break, doubling inner quotes. A
/// field a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR)
/// is written `"'..."`, as OWASP advises (the CLI's `evaluate` CSV does the same).
fn write_csv_field<W: Write>(writer: &mut W, field: &str) -> io::Result<()> {
    if field.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        write!(writer, "\"'{}\"", field.replace('"', "\"\""))
    } else if field.contains([',', '"', '\n', '\r']) {
        write!(writer, "\"{}\"", field.replace('"', "\"\""))
    } else {
        writer.write_all(field.as_bytes())
    }
}

fn io_error(e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write the scores: {e}")).with_source(e)
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::*;
    use crate::scoring::{Cohort, score};

    /// The reference: serde_json over the output's shape, as `write_json` once was.
    fn serde_output(scores: &Scores) -> Vec<u8> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Row<'a> {
            strategy_id: &'a str,
            score: Option<f64>,
            coverage: f64,
            percentile_rank: Option<f64>,
        }
        #[derive(Serialize)]
        struct Document<'a> {
            scores: Vec<Row<'a>>,
        }
        let document = Document {
            scores: scores
                .iter()
                .map(|r| Row {
                    strategy_id: r.strategy_id,
                    score: r.score,
                    coverage: r.coverage,
                    percentile_rank: r.percentile_rank,
                })
                .collect(),
        };
        let mut out = serde_json::to_vec(&document).unwrap();
        out.push(b'\n');
        out
    }

    fn output(scores: &Scores, options: Options) -> Vec<u8> {
        let mut out = Vec::new();
        write_json_with(scores, &mut out, options).unwrap();
        out
    }

    #[test]
    fn json_output_is_byte_identical_to_serde_json_small_and_large() {
        let odd_ids = [
            "plain",
            "quo\"te",
            "back\\slash",
            "tab\tnew\nline",
            "\u{1}\u{7f}",
            "ünï©ødé",
        ];
        // Serial, then two threads ending on this thread's chunk and on the other thread's.
        for rows in [0, 1, 7, PARALLEL_MIN_ROWS + 3, 14 * CHUNK_ROWS] {
            let mut cohort = Cohort::new();
            for i in 0..rows {
                let id = format!("{}-{i}", odd_ids[i % odd_ids.len()]);
                // Missing, tiny, huge and plain values, so every number form appears.
                let speed = match i % 5 {
                    0 => f64::NAN,
                    1 => 1e-300 * i as f64,
                    2 => 1e300 / (i as f64 + 1.0),
                    _ => i as f64 / 7.0,
                };
                cohort.push(
                    id,
                    [
                        ("handledCalls", (i % 97) as f64),
                        ("avgSpeedOfAnswer", speed),
                        (
                            "abandonedCalls",
                            if i % 11 == 0 {
                                f64::INFINITY
                            } else {
                                (i % 13) as f64
                            },
                        ),
                    ],
                );
            }
            let scores = score(&ScoringConfig::default(), &cohort).unwrap();
            let reference = serde_output(&scores);
            for parallel in [false, true] {
                let ours = output(&scores, Options::new().parallel(parallel));
                assert!(
                    ours == reference,
                    "{rows} rows differ (parallel: {parallel})"
                );
            }
        }
    }

    /// Accepts `budget` bytes, then fails every write.
    struct FailingWriter {
        budget: usize,
    }

    impl Write for FailingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.budget == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "reader went away",
                ));
            }
            let n = buf.len().min(self.budget);
            self.budget -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_writer_stops_both_threads_with_an_io_error() {
        let mut cohort = Cohort::new();
        for i in 0..PARALLEL_MIN_ROWS * 2 {
            cohort.push(format!("s{i}"), [("handledCalls", i as f64)]);
        }
        let scores = score(&ScoringConfig::default(), &cohort).unwrap();
        // Failing in the first chunk, in a chunk of the other thread, and near the end.
        for budget in [10, CHUNK_ROWS * ROW_BYTES_GUESS * 3 / 2, 9_000_000] {
            let options = Options::new().parallel(true);
            let err = write_json_with(&scores, FailingWriter { budget }, options).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Io, "{budget}");
            assert!(err.to_string().contains("reader went away"), "{err}");
        }
    }
}
