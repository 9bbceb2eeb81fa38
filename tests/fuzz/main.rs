//! Coverage-less mutation fuzzing of every decoder that reads server input, and of the
//! `routing-eval score` input file (docs/fuzzing.md says why this and not `cargo fuzz`).
//!
//! Each target starts from its committed seed corpus (`tests/fuzz/corpus/<target>/`),
//! mutates it byte-wise and structure-wise for `FUZZ_SECONDS` (default 2 s; `.ci/fuzz` runs
//! longer), inputs at most `FUZZ_MAX_LEN` bytes (default 64 KiB), and checks on every input:
//! no panic, errors of the expected kind with a JSON path, and peak heap allocated while
//! decoding within a linear bound of the input's size. `FUZZ_SEED` replays a run. A failing
//! input is written to `target/fuzz-failures/` and named in the panic message.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use genesys_routing_eval::fuzzing;
use genesys_routing_eval::{Error, ErrorKind};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Heap accounting: per thread, only while a measurement is on, so other tests are unaffected.

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static CURRENT: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn account(delta: isize) {
    let _ = TRACKING.try_with(|on| {
        if on.get() {
            let now = CURRENT.get() + delta;
            CURRENT.set(now);
            if now > PEAK.get() {
                PEAK.set(now);
            }
        }
    });
}

// SAFETY: every call is forwarded to the system allocator unchanged; only sizes are counted.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        account(layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        account(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        account(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns its result with the peak heap it held above what was live before.
fn peak_heap<R>(f: impl FnOnce() -> R) -> (R, usize) {
    CURRENT.set(0);
    PEAK.set(0);
    TRACKING.set(true);
    let result = f();
    TRACKING.set(false);
    (result, PEAK.get().max(0) as usize)
}

/// Peak heap allowed while handling an input of `len` bytes: linear in the input. The decoded
/// page and the metric table built from it are alive together, and a 3-byte `{}` becomes a
/// ~200-byte bucket, so the factor is generous; anything superlinear still passes it quickly.
fn heap_bound(len: usize) -> usize {
    512 * len + (4 << 20)
}

/// Inputs at least this long count towards the peak-heap ratio the summary prints.
const RATIO_MIN_LEN: usize = 4096;

// ---------------------------------------------------------------------------------------------
// Settings

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

struct Settings {
    budget: Duration,
    max_len: usize,
    seed: u64,
}

fn settings(target: &str) -> Settings {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let seed = if seed == 0 {
        fastrand::u64(1..)
    } else {
        // One seed for the run, distinct per target.
        seed ^ target
            .bytes()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b))
    };
    Settings {
        budget: Duration::from_secs_f64(env_number("FUZZ_SECONDS", 2.0).max(0.0)),
        max_len: env_number("FUZZ_MAX_LEN", 65536.0) as usize,
        seed,
    }
}

// ---------------------------------------------------------------------------------------------
// Corpus and mutations

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target)
}

fn load_corpus(target: &str) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir(target))
        .unwrap_or_else(|e| panic!("corpus of {target}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    if target == "score_file" {
        // The scoring vectors are real score files too, when the shared folder is beside us.
        let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/scoring");
        if let Ok(entries) = std::fs::read_dir(vectors) {
            files.extend(entries.map(|e| e.unwrap().path()));
        }
    }
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(!seeds.is_empty(), "the {target} corpus is empty");
    seeds
}

/// Tokens that steer JSON parsers into their edge cases.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\",
    "null",
    "true",
    "false",
    "-",
    "0",
    "-0",
    "1e999",
    "-1e999",
    "1e-400",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "1.7976931348623157e308",
    "4.9e-324",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"\\uDFFF\\uD800\"",
    "NaN",
    "Infinity",
    "\u{feff}",
    "\u{0}",
    "\"\u{10ffff}\"",
    " ",
    "\n",
    "{\"\":{}}",
    "[[]]",
];

/// Values a structure-aware mutation puts in place of a node.
fn interesting_value(rng: &mut fastrand::Rng) -> Value {
    match rng.u8(..14) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => serde_json::json!(u64::MAX),
        3 => serde_json::json!(i64::MIN),
        4 => serde_json::json!(f64::MAX),
        5 => serde_json::json!(-0.0),
        6 => serde_json::json!(rng.i64(..)),
        7 => Value::String(String::new()),
        8 => Value::String("\u{0}\n\r\u{202e}é\u{10ffff}".repeat(rng.usize(1..64))),
        9 => Value::String("x".repeat(rng.usize(..4096))),
        10 => Value::Array(Vec::new()),
        11 => serde_json::json!({}),
        12 => serde_json::json!(rng.f64() * 1e12),
        _ => serde_json::json!(rng.u32(..)),
    }
}

/// Every node of `value`, depth first, as paths of indices.
fn node_count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(node_count).sum(),
        Value::Object(map) => map.values().map(node_count).sum(),
        _ => 0,
    }
}

/// Applies `f` to the `n`th node of `value`, depth first (the root is node 0).
fn with_nth_node(value: &mut Value, n: &mut usize, f: &mut dyn FnMut(&mut Value)) -> bool {
    if *n == 0 {
        f(value);
        return true;
    }
    *n -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| with_nth_node(v, n, f)),
        Value::Object(map) => map.values_mut().any(|v| with_nth_node(v, n, f)),
        _ => false,
    }
}

/// One structure-aware mutation of a JSON document.
fn mutate_structure(value: &mut Value, rng: &mut fastrand::Rng, max_len: usize) {
    let mut n = rng.usize(..node_count(value));
    with_nth_node(value, &mut n, &mut |node| mutate_node(node, rng, max_len));
}

fn mutate_node(node: &mut Value, rng: &mut fastrand::Rng, max_len: usize) {
    match rng.u8(..7) {
        0 | 1 => *node = interesting_value(rng),
        2 => {
            // Grow a list: many copies of one element (large pages, many buckets).
            if let Value::Array(items) = node
                && let Some(first) = items.first().cloned()
            {
                let size = serde_json::to_vec(&first).map_or(1, |v| v.len().max(1));
                let copies = rng.usize(1..=(max_len / size).clamp(1, 4096));
                items.extend(std::iter::repeat_n(first, copies));
            }
        }
        3 => {
            if let Value::Object(map) = node {
                let keys: Vec<String> = map.keys().cloned().collect();
                if !keys.is_empty() {
                    map.remove(&keys[rng.usize(..keys.len())]);
                }
            }
        }
        4 => {
            // Change a key: unknown field names, or a near miss of a known one.
            if let Value::Object(map) = node {
                let keys: Vec<String> = map.keys().cloned().collect();
                if !keys.is_empty() {
                    let key = &keys[rng.usize(..keys.len())];
                    let v = map.remove(key).unwrap();
                    let renamed = match rng.u8(..3) {
                        0 => key.to_uppercase(),
                        1 => format!("{key}\u{0}"),
                        _ => format!("{key}{}", rng.u32(..100)),
                    };
                    map.insert(renamed, v);
                }
            }
        }
        5 => {
            // Wrap in a list or an object: right data, wrong nesting.
            let inner = node.take();
            *node = if rng.bool() {
                Value::Array(vec![inner])
            } else {
                serde_json::json!({ "value": inner })
            };
        }
        _ => {
            // Many distinct keys: maps keyed by server data (groups, metric names).
            if let Value::Object(map) = node {
                for i in 0..rng.usize(1..512) {
                    map.insert(format!("k{i}"), interesting_value(rng));
                }
            }
        }
    }
}

/// One byte-level mutation.
fn mutate_bytes(data: &mut Vec<u8>, rng: &mut fastrand::Rng, corpus: &[Vec<u8>]) {
    let len = data.len();
    match rng.u8(..9) {
        0 if len > 0 => data[rng.usize(..len)] ^= 1 << rng.u8(..8),
        1 if len > 0 => data[rng.usize(..len)] = rng.u8(..),
        2 => data.insert(rng.usize(..=len), rng.u8(..)),
        3 if len > 0 => {
            let at = rng.usize(..len);
            let end = (at + rng.usize(1..=16)).min(len);
            data.drain(at..end);
        }
        4 if len > 0 => data.truncate(rng.usize(..len)),
        5 => {
            let token = TOKENS[rng.usize(..TOKENS.len())].as_bytes();
            let at = rng.usize(..=len);
            data.splice(at..at, token.iter().copied());
        }
        6 if len > 1 => {
            // Duplicate a slice in place.
            let a = rng.usize(..len);
            let b = (a + rng.usize(1..=len.min(256))).min(len);
            let piece = data[a..b].to_vec();
            let at = rng.usize(..=data.len());
            data.splice(at..at, piece);
        }
        7 => {
            // Splice the tail of another seed.
            let other = &corpus[rng.usize(..corpus.len())];
            if !other.is_empty() {
                let from = rng.usize(..other.len());
                data.truncate(rng.usize(..=len));
                data.extend_from_slice(&other[from..]);
            }
        }
        _ => {
            // Deep nesting: parsers that recurse without a limit overflow the stack here.
            let depth = rng.usize(1..20_000);
            // Often in a value's place, where a parser descends into it.
            let colons: Vec<usize> = (0..len).filter(|&i| data[i] == b':').collect();
            let at = match colons.len() {
                0 => rng.usize(..=len),
                n if rng.bool() => colons[rng.usize(..n)] + 1,
                _ => rng.usize(..=len),
            };
            let (open, close) = if rng.bool() {
                (b'[', b']')
            } else {
                (b'{', b'}')
            };
            let mut nested = vec![open; depth];
            if open == b'{' {
                nested = b"{\"a\":".repeat(depth);
            }
            nested.extend(std::iter::repeat_n(
                close,
                if rng.bool() { depth } else { 0 },
            ));
            data.splice(at..at, nested);
        }
    }
}

fn next_input(corpus: &[Vec<u8>], rng: &mut fastrand::Rng, max_len: usize, round: u64) -> Vec<u8> {
    let seed = &corpus[rng.usize(..corpus.len())];
    // Every seed as is first, so a broken seed fails at once.
    if (round as usize) < corpus.len() {
        return corpus[round as usize].clone();
    }
    if rng.u8(..16) == 0 {
        let mut random = vec![0u8; rng.usize(..256)];
        rng.fill(&mut random);
        return random;
    }
    let mut data = seed.clone();
    if rng.bool()
        && let Ok(mut value) = serde_json::from_slice::<Value>(seed)
    {
        for _ in 0..rng.usize(1..=3) {
            mutate_structure(&mut value, rng, max_len);
        }
        data = serde_json::to_vec(&value).unwrap();
    }
    for _ in 0..rng.usize(..=6) {
        mutate_bytes(&mut data, rng, corpus);
    }
    data.truncate(max_len);
    data
}

// ---------------------------------------------------------------------------------------------
// The loop

struct Report {
    inputs: u64,
    errors: u64,
    seconds: f64,
    max_heap_ratio: f64,
}

fn save_failure(target: &str, input: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!(
        "{target}-{:016x}.bin",
        input
            .iter()
            .fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(*b))
                .wrapping_mul(0x100000001b3))
    );
    let path = dir.join(name);
    std::fs::write(&path, input).unwrap();
    path
}

/// Fuzzes `check` (which returns `Err(problem)` on a broken invariant) and prints a summary.
fn fuzz(target: &str, check: impl Fn(&[u8]) -> Result<bool, String>) -> Report {
    let corpus = load_corpus(target);
    let settings = settings(target);
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    // Printed first: a stack overflow aborts the process before any summary.
    eprintln!("fuzz target {target}: seed {}", settings.seed);
    let started = Instant::now();
    let mut report = Report {
        inputs: 0,
        errors: 0,
        seconds: 0.0,
        max_heap_ratio: 0.0,
    };
    while report.inputs < corpus.len() as u64 || started.elapsed() < settings.budget {
        let input = next_input(&corpus, &mut rng, settings.max_len, report.inputs);
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| peak_heap(|| check(&input))));
        let problem = match outcome {
            Ok((Ok(was_error), heap)) => {
                report.errors += u64::from(was_error);
                // Fixed costs dominate small inputs; the ratio means something on large ones.
                if input.len() >= RATIO_MIN_LEN {
                    report.max_heap_ratio =
                        report.max_heap_ratio.max(heap as f64 / input.len() as f64);
                }
                (heap > heap_bound(input.len())).then(|| {
                    format!(
                        "{heap} bytes of heap for a {}-byte input (bound {})",
                        input.len(),
                        heap_bound(input.len())
                    )
                })
            }
            Ok((Err(problem), _)) => Some(problem),
            Err(panic) => Some(format!(
                "panicked: {}",
                panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            )),
        };
        if let Some(problem) = problem {
            TRACKING.set(false);
            let path = save_failure(target, &input);
            panic!(
                "fuzz target {target}: {problem}; input saved to {} (replay with FUZZ_SEED={})",
                path.display(),
                settings.seed
            );
        }
        report.inputs += 1;
    }
    report.seconds = started.elapsed().as_secs_f64();
    let line = format!(
        "fuzz target {target}: {} inputs in {:.1} s ({} rejected with typed errors), peak heap at most {:.0}x the input (inputs of 4 KiB and more), seed {}",
        report.inputs, report.seconds, report.errors, report.max_heap_ratio, settings.seed
    );
    println!("{line}");
    assert!(report.inputs >= corpus.len() as u64);
    report
}

/// A decoder's contract: success, or a `Decode` error naming a JSON path.
fn decode_contract(result: genesys_routing_eval::Result<()>) -> Result<bool, String> {
    match result {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == ErrorKind::Decode && e.json_path().is_some() => {
            one_line(&e).map(|()| true)
        }
        Err(e) => Err(format!(
            "expected a decode error with a json path, got {:?} {:?}: {e}",
            e.kind(),
            e.json_path()
        )),
    }
}

fn one_line(e: &Error) -> Result<(), String> {
    let shown = e.to_string();
    if shown.contains(['\n', '\r']) {
        return Err(format!("error message spans lines: {shown:?}"));
    }
    Ok(())
}

/// The cap decoders run under: above every input, so that rejections are the decoder's.
const CAP: usize = 64 << 20;

// ---------------------------------------------------------------------------------------------
// Targets

#[test]
fn fuzz_token_response_decoder() {
    fuzz("token_response", |b| {
        decode_contract(fuzzing::token_response(b, CAP))
    });
}

#[test]
fn fuzz_aggregates_job_status_decoder() {
    fuzz("job_status", |b| {
        decode_contract(fuzzing::aggregates_job_status(b, CAP))
    });
}

#[test]
fn fuzz_strategies_job_status_decoder() {
    fuzz("strategies_job_status", |b| {
        decode_contract(fuzzing::strategies_job_status(b, CAP))
    });
}

#[test]
fn fuzz_aggregates_results_page_decoder() {
    fuzz("results_page", |b| {
        decode_contract(fuzzing::aggregates_results_page(b, CAP))
    });
}

#[test]
fn fuzz_strategies_results_page_decoder() {
    fuzz("strategies_page", |b| {
        decode_contract(fuzzing::strategies_results_page(b, CAP))
    });
}

#[test]
fn fuzz_genesys_error_body() {
    const STATUSES: &[u16] = &[400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 504, 599];
    fuzz("error_body", |b| {
        // The first bytes pick the status and the headers' values; the rest is the body.
        let status = STATUSES[usize::from(b.first().copied().unwrap_or(0)) % STATUSES.len()];
        let header = String::from_utf8_lossy(b.get(1..b.len().min(40)).unwrap_or_default());
        let error = fuzzing::error_body(
            status,
            b,
            &[
                ("retry-after", &header),
                ("inin-correlation-id", &header),
                ("inin-ratelimit-count", &header),
            ],
        );
        let expected = match status {
            401 => ErrorKind::Auth,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Client,
        };
        if error.kind() != expected || error.status() != Some(status) {
            return Err(format!("status {status} classified as {:?}", error.kind()));
        }
        if error.message().len() > 2048 {
            return Err(format!(
                "a {}-byte message: the server controls its length",
                error.message().len()
            ));
        }
        one_line(&error).map(|()| true)
    });
}

#[test]
fn fuzz_score_file() {
    fuzz("score_file", |b| {
        fuzzing::score_file_paths_agree(b)?;
        match fuzzing::score_file(b) {
            Ok(()) => Ok(false),
            Err(e) if e.kind() == ErrorKind::Decode && e.json_path().is_none() => {
                Err(format!("decode error without a json path: {e}"))
            }
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Decode | ErrorKind::Scoring | ErrorKind::Config
                ) =>
            {
                Ok(true)
            }
            Err(e) => Err(format!("unexpected error kind {:?}: {e}", e.kind())),
        }
    });
}

#[test]
fn fuzz_body_cap_with_declared_lengths() {
    // The first 8 bytes are the declared Content-Length, the rest the body, cut into chunks;
    // the cap is small so both refusals (declared and streamed) are reached.
    const SMALL_CAP: usize = 4096;
    fuzz("body_cap", |b| {
        let declared = b
            .get(..8)
            .map(|d| u64::from_le_bytes(d.try_into().unwrap()))
            .filter(|d| d % 3 != 0);
        let body = b.get(8..).unwrap_or_default();
        let chunks: Vec<&[u8]> = body.chunks(97).collect();
        let (result, heap) = peak_heap(|| fuzzing::capped_body(declared, &chunks, SMALL_CAP));
        let mut refused = false;
        match result {
            Ok(bytes) if bytes.len() <= SMALL_CAP && &bytes[..] == body => {}
            Ok(bytes) => return Err(format!("kept {} bytes past the cap", bytes.len())),
            Err(e) if e.kind() == ErrorKind::Decode => {
                let over = declared.is_some_and(|d| d > SMALL_CAP as u64) || body.len() > SMALL_CAP;
                if !over {
                    return Err(format!("refused a body within the cap: {e}"));
                }
                refused = true;
            }
            Err(e) => return Err(format!("unexpected error kind {:?}: {e}", e.kind())),
        }
        if heap > 4 * SMALL_CAP {
            return Err(format!("{heap} bytes held for a {SMALL_CAP}-byte cap"));
        }
        Ok(refused)
    });
}
