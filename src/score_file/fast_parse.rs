//! A fast path for the score file's common shape: plain JSON with unescaped strategy ids and
//! metric names. It reads straight into a [`Cohort`] and gives up (`None`) on anything
//! unusual (escapes, duplicate-key subtleties aside, errors of any kind), leaving the serde
//! reader, which is the reference, to parse the file or to name the error's path. So it can
//! only ever return what the serde reader would.

use super::ScoreFile;
use crate::scoring::{Cohort, ScoringConfig};

/// Parses `bytes` as a score file, or `None` to defer to the serde reader. `parallel` lets a
/// large rows array be parsed on two threads.
pub(crate) fn parse(bytes: &[u8], parallel: bool) -> Option<ScoreFile> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        parallel,
    };
    let file = p.file()?;
    p.ws();
    (p.pos == p.bytes.len()).then_some(file)
}

/// Nesting beyond which the fast path defers: serde_json refuses past 128 levels, and
/// recursing without a bound would let a file of brackets overflow the stack.
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Containers entered by `skip_value` and not yet left.
    depth: usize,
    /// Whether a large rows array may be split with a second thread.
    parallel: bool,
}

impl<'a> Parser<'a> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn eat_literal(&mut self, literal: &[u8]) -> Option<()> {
        self.ws();
        let end = self.pos + literal.len();
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }

    /// Calls `f` for each key of an object, positioned at its value; `f` must consume it.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.eat(b':')?;
            f(self, key)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters (anything else defers to serde).
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.pos;
        let len = string_len(&self.bytes[start..])?;
        self.pos = start + len;
        self.eat_raw(b'"')?;
        // The text is UTF-8 and quotes are ASCII, so the slice falls on character boundaries.
        self.text.get(start..start + len)
    }

    fn eat_raw(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.pos) == Some(&byte)).then(|| self.pos += 1)
    }

    /// A JSON number, exactly as the correctly rounded f64 serde_json's `float_roundtrip`
    /// gives; `None` on anything out of grammar or out of range.
    fn number(&mut self) -> Option<f64> {
        self.ws();
        let start = self.pos;
        let b = self.bytes;
        let negative = b.get(self.pos) == Some(&b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        while let Some(d @ b'0'..=b'9') = b.get(self.pos) {
            mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            digits += 1;
            self.pos += 1;
        }
        let int_len = self.pos - int_start;
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
            return None;
        }
        let mut fraction = 0usize;
        if b.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            while let Some(d @ b'0'..=b'9') = b.get(self.pos) {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                digits += 1;
                fraction += 1;
                self.pos += 1;
            }
            if fraction == 0 {
                return None;
            }
        }
        let exponent = matches!(b.get(self.pos), Some(b'e' | b'E'));
        if exponent {
            self.pos += 1;
            if let Some(b'+' | b'-') = b.get(self.pos) {
                self.pos += 1;
            }
            let exp_start = self.pos;
            while let Some(b'0'..=b'9') = b.get(self.pos) {
                self.pos += 1;
            }
            if self.pos == exp_start {
                return None;
            }
        }
        // Clinger's fast path: an exact integer mantissa below 2^53 over an exact power of ten
        // is one correctly rounded division. Everything else goes to the full algorithm.
        let value = if !exponent && digits <= 15 && fraction <= 22 {
            // An integer needs no division (a slow instruction the loop would wait on).
            let v = match fraction {
                0 => mantissa as f64,
                _ => mantissa as f64 / POW10[fraction],
            };
            if negative { -v } else { v }
        } else {
            let text = std::str::from_utf8(&b[start..self.pos]).ok()?;
            text.parse::<f64>().ok()?
        };
        value.is_finite().then_some(value)
    }

    /// Skips any JSON value, checking its grammar.
    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'{' | b'[' if self.depth >= MAX_DEPTH => None,
            b'{' => self.nested(|p| p.object(|p, _| p.skip_value())),
            b'[' => self.nested(|p| p.array(|p| p.skip_value())),
            b'"' => self.string().map(drop),
            b't' => self.eat_literal(b"true"),
            b'f' => self.eat_literal(b"false"),
            b'n' => self.eat_literal(b"null"),
            _ => self.number().map(drop),
        }
    }

    fn nested(&mut self, f: impl FnOnce(&mut Self) -> Option<()>) -> Option<()> {
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn array(&mut self, f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.eat(b']').is_some() {
            return Some(());
        }
        self.rest_of_array(f)
    }

    /// The elements of an array from the first one after `[` or a `,`, through its `]`.
    fn rest_of_array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        loop {
            f(self)?;
            match self.peek()? {
                b',' => self.pos += 1,
                b']' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn file(&mut self) -> Option<ScoreFile> {
        let mut config: Option<Option<ScoringConfig>> = None;
        let mut cohort = None;
        self.object(|p, key| match key {
            "config" => {
                p.ws();
                let start = p.pos;
                p.skip_value()?;
                config = Some(serde_json::from_slice(&p.bytes[start..p.pos]).ok()?);
                Some(())
            }
            "rows" => {
                cohort = Some(p.rows()?);
                Some(())
            }
            _ => p.skip_value(),
        })?;
        Some(ScoreFile {
            config: config.flatten(),
            cohort: cohort?,
        })
    }

    /// The rows array. A large one is parsed on two cores: a second thread parses from a
    /// likely row boundary past the middle while this one parses up to it. The guess is only
    /// trusted when this thread, parsing the array itself, lands exactly on it between two
    /// rows; otherwise this thread parses on to the end and the other half is dropped.
    fn rows(&mut self) -> Option<Cohort> {
        self.ws();
        let split = self.split_point();
        let rest = self.bytes.len() - self.pos;
        let mut rows = Rows::with_capacity(rest);
        let Some(split) = split else {
            self.array(|p| p.row(&mut rows))?;
            return Some(rows.cohort);
        };
        std::thread::scope(|scope| {
            let (text, depth) = (self.text, self.depth);
            let tail = scope.spawn(move || {
                let mut p = Parser {
                    text,
                    bytes: text.as_bytes(),
                    pos: split + 1,
                    depth,
                    parallel: false,
                };
                let mut rows = Rows::with_capacity(p.bytes.len() - p.pos);
                p.rest_of_array(|p| p.row(&mut rows))?;
                Some((rows.cohort, p.pos))
            });
            self.eat(b'[')?;
            if self.eat(b']').is_some() {
                return Some(rows.cohort);
            }
            loop {
                self.row(&mut rows)?;
                match self.peek()? {
                    b',' if self.pos == split => break,
                    b',' => self.pos += 1,
                    b']' => {
                        // The array ended before the guess: it was inside a later value.
                        self.pos += 1;
                        return Some(rows.cohort);
                    }
                    _ => return None,
                }
            }
            let (tail_rows, end) = tail.join().ok()??;
            rows.cohort.append(tail_rows)?;
            self.pos = end;
            Some(rows.cohort)
        })
    }

    /// A `,` past the middle of the rest of the input that looks like it separates two rows
    /// (`}` before it and `{` after it, whitespace aside), or `None` when the input is too
    /// small to be worth a second thread, or a second thread was not allowed.
    fn split_point(&self) -> Option<usize> {
        let rest = self.bytes.len() - self.pos;
        if !self.parallel || rest < PARALLEL_MIN_BYTES {
            return None;
        }
        let is_ws = |b: &u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t');
        let mid = self.pos + rest / 2;
        let mut at = mid;
        while let Some(offset) = self.bytes[at..].iter().position(|&b| b == b',') {
            let comma = at + offset;
            let before = self.bytes[..comma].iter().rev().find(|b| !is_ws(b));
            let after = self.bytes[comma + 1..].iter().find(|b| !is_ws(b));
            if before == Some(&b'}') && after == Some(&b'{') {
                return Some(comma);
            }
            // Give up rather than scan far: past 64 KiB the guess is no longer near the middle.
            if comma - mid > 1 << 16 {
                return None;
            }
            at = comma + 1;
        }
        None
    }

    /// One row into `rows`: first as the previous row predicts, byte for byte; when that
    /// does not fit, by the grammar.
    fn row(&mut self, rows: &mut Rows) -> Option<()> {
        if rows.predicting() {
            let start = self.pos;
            if self.predicted_row(rows).is_some() {
                rows.misses = 0;
                return Some(());
            }
            self.pos = start;
            rows.misses += 1;
        }
        self.general_row(rows)
    }

    /// A row laid out exactly like the previous one: `{"strategyId":"…","metrics":{` then the
    /// same metric names in the same order, each `"name":` followed by a number or `null`,
    /// then `}}`, no whitespace. Nothing is stored unless the whole row fits.
    fn predicted_row(&mut self, rows: &mut Rows) -> Option<()> {
        self.expect(b"{\"strategyId\":\"")?;
        let id_start = self.pos;
        let id_len = string_len(&self.bytes[id_start..])?;
        self.pos += id_len;
        self.expect(b"\",\"metrics\":{")?;
        let id = self.text.get(id_start..id_start + id_len)?;
        let Rows { shape, values, .. } = rows;
        values.clear();
        for (k, metric) in shape.iter().enumerate() {
            if k > 0 {
                self.eat_raw(b',')?;
            }
            self.eat_raw(b'"')?;
            self.expect(&self.bytes[metric.name.clone()])?;
            self.expect(b"\":")?;
            values.push(self.metric_value()?);
        }
        self.expect(b"}}")?;
        let row = rows.cohort.begin_row();
        for (metric, &value) in rows.shape.iter().zip(&rows.values) {
            rows.cohort.set(metric.column, row, value);
        }
        rows.cohort.finish_row(id);
        Some(())
    }

    /// A row by the grammar: keys in any order and whitespace anywhere. Its metric names
    /// become the prediction for the next row.
    fn general_row(&mut self, rows: &mut Rows) -> Option<()> {
        let Rows { cohort, shape, .. } = rows;
        let row = cohort.begin_row();
        shape.clear();
        let mut id = None;
        self.object(|p, key| match key {
            "strategyId" => {
                id = Some(p.string()?);
                Some(())
            }
            "metrics" => p.object(|p, name| {
                let value = p.metric_value()?;
                let column = cohort.column_index_capped(name)?;
                // A metric given twice in a row is refused by the serde reader: defer to it.
                if shape.iter().any(|m| m.column == column) {
                    return None;
                }
                cohort.set(column, row, value);
                // `name` borrows from the input: where it starts is its distance from the input's.
                let start = name.as_ptr() as usize - p.text.as_ptr() as usize;
                shape.push(PredictedMetric {
                    name: start..start + name.len(),
                    column,
                });
                Some(())
            }),
            _ => p.skip_value(),
        })?;
        cohort.finish_row(id?);
        Some(())
    }

    /// A metric's value: a number, or `null` (missing, NaN).
    fn metric_value(&mut self) -> Option<f64> {
        if self.peek()? == b'n' {
            self.eat_literal(b"null")?;
            Some(f64::NAN)
        } else {
            self.number()
        }
    }

    /// `literal` exactly, here, without skipping whitespace.
    fn expect(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.pos + literal.len();
        (self.bytes.get(self.pos..end)? == literal).then(|| self.pos = end)
    }
}

/// The rows parsed so far, and what the next row is predicted to look like.
struct Rows {
    cohort: Cohort,
    /// The last row's metrics, in order.
    shape: Vec<PredictedMetric>,
    /// The values of the row being read the predicted way, committed when it all fits.
    values: Vec<f64>,
    /// Rows in a row that did not fit the prediction.
    misses: usize,
}

/// A metric of the predicted row layout.
struct PredictedMetric {
    /// Where its name (without quotes) is in the input, in the row it was seen in.
    name: std::ops::Range<usize>,
    column: usize,
}

/// After this many rows in a row that miss the prediction (pretty-printed input, say),
/// rows are read by the grammar only.
const MAX_MISSES: usize = 16;

impl Rows {
    /// Room for the rows in `bytes` bytes of input.
    fn with_capacity(bytes: usize) -> Self {
        // A row with a metric is never shorter than MIN_ROW_BYTES and the ids are never longer
        // than the input, so neither columns nor ids move while they grow; capacity beyond
        // the real rows is untouched address space (and leaves room to append the second half
        // without moving).
        Rows {
            cohort: Cohort::with_capacity_for_ids(bytes / MIN_ROW_BYTES, bytes),
            shape: Vec::new(),
            values: Vec::new(),
            misses: 0,
        }
    }

    fn predicting(&self) -> bool {
        self.misses < MAX_MISSES && !self.cohort.is_empty()
    }
}

/// Bytes before the first quote, backslash or control character, eight at a time: strings
/// dominate the file, and most are ids and metric names a dozen bytes long.
fn string_len(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Flags bytes equal to zero / below 0x20; a false flag can only sit above a true one, so
    // the lowest flag is exact.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in chunks.by_ref() {
        let w = u64::from_le_bytes(chunk.try_into().expect("chunk of 8"));
        let stops = zero(w ^ (ONES * u64::from(b'"')))
            | zero(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        if stops != 0 {
            return Some(offset + (stops.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    let tail = chunks.remainder();
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|p| offset + p)
}

/// Below this many bytes of rows, a second thread costs more than it saves.
const PARALLEL_MIN_BYTES: usize = 1 << 20;

/// The shortest row that carries a metric: `{"strategyId":"","metrics":{"":0}}`.
const MIN_ROW_BYTES: usize = 34;

const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path with a second thread allowed, as `routing-eval score` runs it.
    fn parse(bytes: &[u8]) -> Option<ScoreFile> {
        super::parse(bytes, true)
    }

    fn serde_path(bytes: &[u8]) -> Option<ScoreFile> {
        ScoreFile::from_slice_serde(bytes).ok()
    }

    fn same(bytes: &[u8]) {
        let fast = parse(bytes);
        let reference = serde_path(bytes);
        if let Some(fast) = fast {
            let reference = reference.expect("fast path accepted what serde rejects");
            assert_eq!(fast.config, reference.config);
            assert_eq!(fast.cohort.ids(), reference.cohort.ids());
            assert_eq!(fast.cohort.metric_names(), reference.cohort.metric_names());
            for name in fast.cohort.metric_names() {
                let (a, b) = (
                    fast.cohort.column(name).unwrap(),
                    reference.cohort.column(name).unwrap(),
                );
                let bits = |c: &[f64]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(a), bits(b), "{name}");
            }
        }
    }

    #[test]
    fn string_scan_stops_at_the_first_quote_backslash_or_control_byte() {
        for len in 0..20 {
            for stop in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut bytes = vec![b'a'; len];
                bytes.push(stop);
                bytes.extend_from_slice(b"\"\\ zz");
                assert_eq!(string_len(&bytes), Some(len), "{len} {stop}");
            }
            let mut utf8 = "é".repeat(len).into_bytes();
            let n = utf8.len();
            utf8.extend_from_slice(b"\" x");
            assert_eq!(string_len(&utf8), Some(n));
            assert_eq!(string_len(&vec![b' '; len]), None);
        }
        for id in [
            "plain",
            "with \"quote\"",
            "back\\slash",
            "tab\there",
            "ünï©ødé",
            "ctrl\u{1}",
        ] {
            let doc = format!(
                r#"{{"rows":[{{"strategyId":{},"metrics":{{"m":1}}}}]}}"#,
                serde_json::to_string(id).unwrap()
            );
            same(doc.as_bytes());
            assert_eq!(
                &ScoreFile::from_slice_serde(doc.as_bytes())
                    .unwrap()
                    .cohort
                    .ids()[0],
                id
            );
        }
    }

    /// `rows` rows of about 80 bytes; metric `early` only in the first tenth of the rows,
    /// `late` only in the last tenth, so the two halves see different columns.
    fn large_doc(rows: usize, trailer: &str) -> String {
        let mut doc = String::from(r#"{"name": "big", "rows": ["#);
        for i in 0..rows {
            if i > 0 {
                doc.push_str(if i % 7 == 0 { ",\n  " } else { "," });
            }
            let extra = if i < rows / 10 {
                format!(r#","early":{i}"#)
            } else if i >= rows - rows / 10 {
                format!(r#","late":-{i}.5"#)
            } else {
                String::new()
            };
            let speed = if i % 13 == 0 {
                "null".to_owned()
            } else {
                format!("{}.{:03}", i % 977, i % 1000)
            };
            doc.push_str(&format!(
                r#"{{"strategyId":"s-{i:07}","metrics":{{"handledCalls":{},"avgSpeedOfAnswer":{speed}{extra}}}}}"#,
                i * 31 % 5000
            ));
        }
        doc.push(']');
        doc.push_str(trailer);
        doc.push('}');
        doc
    }

    fn assert_fast_and_same(doc: &str) -> ScoreFile {
        let file = parse(doc.as_bytes()).expect("takes the fast path");
        same(doc.as_bytes());
        file
    }

    #[test]
    fn a_metric_given_twice_in_a_row_defers_to_serde_which_refuses_it() {
        for doc in [
            r#"{"rows":[{"strategyId":"a","metrics":{"x":1}},{"strategyId":"b","metrics":{"x":1,"x":2}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"x":null,"x":2}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"x":1},"metrics":{"x":2}}]}"#,
        ] {
            assert!(parse(doc.as_bytes()).is_none(), "{doc}");
            let err = ScoreFile::from_slice(doc.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Decode);
            assert!(
                err.to_string()
                    .contains("metric `x` is given twice in this row"),
                "{err}"
            );
            assert!(err.json_path().unwrap().ends_with(".metrics"), "{err:?}");
        }
    }

    #[test]
    fn rows_that_differ_from_the_previous_row_are_read_by_the_grammar() {
        let rows = [
            r#"{"strategyId":"a","metrics":{"x":1,"y":2}}"#,
            // Same layout: read as predicted.
            r#"{"strategyId":"b","metrics":{"x":3,"y":null}}"#,
            // A metric fewer, more, renamed, reordered, an empty metrics object.
            r#"{"strategyId":"c","metrics":{"x":4}}"#,
            r#"{"strategyId":"d","metrics":{"x":5,"y":6,"z":7}}"#,
            r#"{"strategyId":"e","metrics":{"x":5,"w":6,"z":7}}"#,
            r#"{"strategyId":"f","metrics":{"z":8,"x":9,"w":1}}"#,
            r#"{"strategyId":"g","metrics":{}}"#,
            r#"{"strategyId":"h","metrics":{}}"#,
            // Whitespace, keys swapped, an extra key, an escaped id.
            r#"{"strategyId":"i","metrics":{"x": 1,"y":2}}"#,
            r#"{"metrics":{"x":1,"y":2},"strategyId":"j"}"#,
            r#"{"strategyId":"k","metrics":{"x":1,"y":2},"note":true}"#,
            r#"{"strategyId":"n\u0041","metrics":{"x":1,"y":3}}"#,
            // A name that starts like the predicted one.
            r#"{"strategyId":"o","metrics":{"x":1,"y":2}}"#,
            r#"{"strategyId":"p","metrics":{"xx":1,"y":2}}"#,
        ];
        let doc = format!(r#"{{"rows":[{}]}}"#, rows.join(","));
        same(doc.as_bytes());
        let without_escape = doc.replace(r#"n\u0041"#, "nA");
        let file = assert_fast_and_same(&without_escape);
        assert_eq!(file.cohort.len(), rows.len());
        assert_eq!(
            file.cohort.column("x").unwrap()[5],
            9.0,
            "reordered keys land in their columns"
        );
        assert_eq!(&file.cohort.ids()[11], "nA");
        assert!(file.cohort.column("y").unwrap()[1].is_nan());
        // Pretty-printed rows miss every prediction; the parser stops predicting and reads on.
        let pretty: Vec<String> = (0..100)
            .map(|i| format!("{{ \"strategyId\": \"s{i}\", \"metrics\": {{ \"x\": {i} }} }}"))
            .collect();
        let file = assert_fast_and_same(&format!(r#"{{"rows":[{}]}}"#, pretty.join(",\n")));
        assert_eq!(file.cohort.column("x").unwrap()[99], 99.0);
    }

    #[test]
    fn a_large_file_parsed_on_one_thread_matches_the_two_thread_parse() {
        let doc = large_doc(40_000, "");
        let (one, two) = (
            super::parse(doc.as_bytes(), false).expect("takes the fast path"),
            parse(doc.as_bytes()).expect("takes the fast path"),
        );
        assert_eq!(one.cohort.ids(), two.cohort.ids());
        assert_eq!(one.cohort.metric_names(), two.cohort.metric_names());
        for name in one.cohort.metric_names() {
            let bits = |c: &[f64]| c.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(one.cohort.column(name).unwrap()),
                bits(two.cohort.column(name).unwrap()),
                "{name}"
            );
        }
    }

    #[test]
    fn large_rows_array_parsed_in_two_halves_matches_serde() {
        let rows = 40_000;
        let file = assert_fast_and_same(&large_doc(rows, r#", "config": null"#));
        assert_eq!(file.cohort.len(), rows);
        assert_eq!(
            file.cohort.metric_names(),
            ["handledCalls", "avgSpeedOfAnswer", "early", "late"]
        );
        assert_eq!(&file.cohort.ids()[rows - 1], format!("s-{:07}", rows - 1));
    }

    #[test]
    fn split_guess_inside_a_later_value_or_string_is_discarded() {
        // The middle of the input falls in a value after the rows array that looks like rows.
        let decoy = format!(
            r#", "other": [{}]"#,
            vec![r#"{"a":{"b":1}}"#; 200_000].join(",")
        );
        let file = assert_fast_and_same(&large_doc(2_000, &decoy));
        assert_eq!(file.cohort.len(), 2_000);
        // The middle falls inside one long strategy id holding `},{`.
        let id = "x},{".repeat(400_000);
        let doc = format!(
            r#"{{"rows":[{{"strategyId":"a","metrics":{{"m":1}}}},{{"strategyId":"{id}","metrics":{{"m":2}}}},{{"strategyId":"c","metrics":{{}}}}]}}"#
        );
        let file = assert_fast_and_same(&doc);
        assert_eq!(file.cohort.ids().len(), 3);
        assert_eq!(&file.cohort.ids()[1], id);
    }

    #[test]
    fn error_in_either_half_defers_to_serde() {
        let doc = large_doc(40_000, "");
        for at in [doc.len() / 4, doc.len() * 3 / 4] {
            let comma = at + doc[at..].find(r#""handledCalls":"#).unwrap() + 15;
            let broken = format!(
                "{}\"x\"{}",
                &doc[..comma],
                &doc[comma..].split_once(',').unwrap().1
            );
            assert!(parse(broken.as_bytes()).is_none());
        }
    }

    #[test]
    fn fast_path_agrees_with_serde_on_every_vector() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/scoring");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(parse(&bytes).is_some(), "vectors take the fast path");
            same(&bytes);
            seen += 1;
        }
        assert!(seen > 0);
    }

    #[test]
    fn fast_path_parses_numbers_exactly_and_defers_on_anything_unusual() {
        for number in [
            "0",
            "-0",
            "1",
            "0.1",
            "123.456",
            "9007199254740993",
            "1e5",
            "1.5E-3",
            "2.2250738585072014e-308",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "5e-324",
            "1.7976931348623157e308",
        ] {
            let doc = format!(r#"{{"rows":[{{"strategyId":"a","metrics":{{"m":{number}}}}}]}}"#);
            assert!(parse(doc.as_bytes()).is_some(), "{number}");
            same(doc.as_bytes());
        }
        for odd in [
            r#"{"rows":[{"strategyId":"a\u0041","metrics":{}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"m":1e999}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"m":01}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"m":1.}}]}"#,
            r#"{"rows":[{"strategyId":"a","metrics":{"m":"1"}}]}"#,
            r#"{"rows":[{"metrics":{}}]}"#,
            r#"{"rows":[]} x"#,
            r#"{"config":{"kpis":[]},"config":null,"rows":[]}"#,
        ] {
            same(odd.as_bytes());
        }
        assert!(parse(br#"{"rows":[{"strategyId":"a\u0041","metrics":{}}]}"#).is_none());
        let deep = format!(
            r#"{{"name":{}{},"rows":[]}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(
            parse(deep.as_bytes()).is_none(),
            "defers instead of overflowing the stack"
        );
        let rows: Vec<String> = (0..300)
            .map(|i| format!(r#"{{"strategyId":"s","metrics":{{"m{i}":1}}}}"#))
            .collect();
        let wide = format!(r#"{{"rows":[{}]}}"#, rows.join(","));
        assert!(parse(wide.as_bytes()).is_none());
        let err = ScoreFile::from_slice(wide.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Decode);
        assert_eq!(err.json_path(), Some("rows[256].metrics.m256"), "{err}");
        // serde_json skips an ignored value without recursing, so the reference reads it.
        let file = ScoreFile::from_slice(deep.as_bytes()).unwrap();
        assert!(file.cohort.is_empty());
        assert!(parse(br#"{"rows":[{"strategyId":"a","metrics":{"m":1e999}}]}"#).is_none());
        let file = parse(br#" { "name" : [1, {"x": true}], "rows" : [ {"metrics": {"m": null, "n": -2.5}, "strategyId": "b"} ] } "#).unwrap();
        assert!(file.cohort.ids().iter().eq(["b"]));
        assert!(file.cohort.column("m").unwrap()[0].is_nan());
        assert_eq!(file.cohort.column("n").unwrap()[0], -2.5);
    }
}
