//! `routing-eval score`: score a metric file offline.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;

use genesys_routing_eval::score_file::{Options, ScoreFile, write_csv, write_json_with};
use genesys_routing_eval::scoring;
use genesys_routing_eval::{Error, ErrorKind};
use memmap2::MmapOptions;

use crate::input;

/// Arguments of `routing-eval score`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The score file, `{"config"?, "rows"}` (the scoring vector format); `-` for stdin.
    #[arg(long, short, value_name = "FILE|-")]
    input: PathBuf,
    /// Output: `json` (`{"scores": [...]}` in input order), `table` (ranked, for people) or
    /// `csv` (input order).
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
}

/// How to print the scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Json,
    Table,
    Csv,
}

/// Runs the subcommand and returns the exit code.
pub async fn run(args: Args) -> u8 {
    match score_file(&args) {
        Ok(()) => crate::exit::OK,
        // The reader stopped reading (`| head`): the rest is not wanted, nothing failed.
        Err(e) if is_broken_pipe(&e) => crate::exit::OK,
        Err(e) => {
            eprintln!(
                "routing-eval score: {}",
                crate::output::escape(&e.to_string())
            );
            match e.kind() {
                ErrorKind::Config | ErrorKind::Decode => crate::exit::USAGE,
                _ => crate::exit::FAILED,
            }
        }
    }
}

/// The command owns its process, so a large file may use a second core: the 20x-over-pandas
/// target is wall time (docs/performance.md).
fn parallel() -> Options {
    Options::new().parallel(true)
}

fn is_broken_pipe(error: &Error) -> bool {
    std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<io::Error>())
        .is_some_and(crate::output::is_broken_pipe)
}

fn score_file(args: &Args) -> Result<(), Error> {
    let bytes = read_input(&args.input)?;
    let file = ScoreFile::from_slice_with(&bytes, parallel())?;
    drop(bytes);
    let config = file.config_or_default();
    let scores = scoring::score(&config, &file.cohort)?;
    let stdout = raw_stdout()?;
    let out = BufWriter::with_capacity(1 << 16, stdout);
    let written = match args.format {
        Format::Json => write_json_with(&scores, out, parallel()),
        Format::Csv => write_csv(&scores, out),
        Format::Table => crate::output::write_scores_table(&scores, out)
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the table: {e}"))),
    };
    // The process exits next: freeing a million strategy ids one by one would only delay it.
    std::mem::forget((scores, file));
    written
}

/// Standard output as a plain file, so big writes go straight to the descriptor: `Stdout`
/// is line buffered and scans every write for a newline and copies through its own buffer,
/// a measurable cost on 100 MB of output.
fn raw_stdout() -> Result<File, Error> {
    use std::os::fd::AsFd;
    let stdout = io::stdout();
    // Whatever was printed through `Stdout` before must come out first.
    stdout
        .lock()
        .flush()
        .and_then(|()| stdout.as_fd().try_clone_to_owned())
        .map(File::from)
        .map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot write to stdout: {e}")).with_source(e)
        })
}

/// The input's bytes: the file mapped into memory, or read when it cannot be mapped (stdin,
/// a pipe).
enum Input {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl std::ops::Deref for Input {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Input::Mapped(map) => map,
            Input::Read(bytes) => bytes,
        }
    }
}

fn read_input(path: &PathBuf) -> Result<Input, Error> {
    let io_error = |e: io::Error| input::unreadable(path, e);
    input::not_a_directory(path, "score")?;
    if let Some(stdin) = input::stdin_if_dash(path) {
        return stdin.map(Input::Read);
    }
    let file = File::open(path).map_err(io_error)?;
    // Mapping skips copying the file into fresh, zeroed pages, which was about a third of the
    // command's time on a large file; `populate` maps every page up front instead of one
    // fault at a time.
    // SAFETY: the map is read only and lives only while this command parses it. Another
    // process truncating or rewriting the file meanwhile could change the bytes under the
    // parser (or end it with SIGBUS), the usual caveat of mapped input that tools like ripgrep
    // accept too; a score file is not expected to change while it is being scored.
    match unsafe { MmapOptions::new().populate().map(&file) } {
        Ok(map) => Ok(Input::Mapped(map)),
        // Not mappable (a pipe or character device given by path): read it instead.
        Err(_) => {
            let mut bytes = Vec::new();
            (&file).read_to_end(&mut bytes).map_err(io_error)?;
            Ok(Input::Read(bytes))
        }
    }
}
