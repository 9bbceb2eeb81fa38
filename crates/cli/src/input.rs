//! The input file of `score --input` and `compare --input`: a path, or `-` for stdin. Every
//! problem reading it is bad usage (exit 2), like a malformed file.

use std::io::{self, Read};
use std::path::Path;

use genesys_routing_eval::{Error, ErrorKind};

/// The error for an input at `path` that cannot be read.
pub fn unreadable(path: &Path, e: io::Error) -> Error {
    Error::new(
        ErrorKind::Config,
        format!("cannot read `{}`: {e}; check the path", path.display()),
    )
    .with_source(e)
}

/// Refuses a directory given where a `what` file (or `-` for stdin) belongs.
pub fn not_a_directory(path: &Path, what: &str) -> Result<(), Error> {
    if path.is_dir() {
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "`{}` is a directory; pass a {what} file (or - for stdin)",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// The whole of stdin when `path` is `-`, else `None`.
pub fn stdin_if_dash(path: &Path) -> Option<Result<Vec<u8>, Error>> {
    if path.as_os_str() != "-" {
        return None;
    }
    let mut bytes = Vec::new();
    Some(
        io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map(|_| bytes)
            .map_err(|e| unreadable(path, e)),
    )
}
