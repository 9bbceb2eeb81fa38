//! Dead-letter files: an undelivered payload written atomically to `<dir>/<id>.json`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::DeadLetter;

/// Writes `payload` to `<dir>/<id>.json` and says where it went.
///
/// The file appears whole or not at all: the bytes go to a temporary file in the same
/// directory, are synced, and the file is renamed into place (rename is atomic within one
/// file system), so a reader never sees half a payload, even after a crash.
pub(crate) async fn write(dir: &Path, id: &str, payload: Bytes) -> DeadLetter {
    let path = dir.join(format!("{id}.json"));
    let dir = dir.to_path_buf();
    let target = path.clone();
    let written = tokio::task::spawn_blocking(move || write_atomically(&dir, &target, &payload))
        .await
        .unwrap_or_else(|join| Err(io::Error::other(join.to_string())));
    match written {
        Ok(()) => DeadLetter::Written(path),
        Err(err) => DeadLetter::WriteFailed {
            path,
            reason: format!("{err}; make the dead-letter directory writable"),
        },
    }
}

/// Creates `dir` (and its parents) and proves it writable by creating and removing a probe
/// file, so that a payload is never lost to a directory found unusable only after delivery
/// failed.
pub(crate) fn check_writable(dir: &Path) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let probe = dir.join(format!(".probe.{:016x}.tmp", fastrand::u64(..)));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    fs::remove_file(&probe)
}

fn write_atomically(dir: &Path, target: &Path, payload: &[u8]) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let temp = temp_path(dir, target);
    let result = write_synced(&temp, payload).and_then(|()| fs::rename(&temp, target));
    if result.is_err() {
        // Best effort: a leftover temporary file is harmless but untidy.
        let _ = fs::remove_file(&temp);
        return result;
    }
    sync_dir(dir);
    Ok(())
}

fn temp_path(dir: &Path, target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.{:016x}.tmp", fastrand::u64(..)))
}

fn write_synced(path: &Path, payload: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(payload)?;
    file.sync_all()
}

/// Syncs the directory so the rename itself survives a crash (POSIX only; elsewhere the
/// rename is already durable or cannot be synced this way).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(handle) = File::open(dir) {
        let _ = handle.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_exact_bytes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let outcome = write(dir.path(), "msg_1", Bytes::from_static(b"{\"a\":1}")).await;
        let path = dir.path().join("msg_1.json");
        assert_eq!(outcome, DeadLetter::Written(path.clone()));
        assert_eq!(fs::read(&path).unwrap(), b"{\"a\":1}");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("msg_1.json")]);
    }

    #[tokio::test]
    async fn creates_a_missing_directory() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        let outcome = write(&nested, "msg_2", Bytes::from_static(b"[]")).await;
        assert_eq!(outcome, DeadLetter::Written(nested.join("msg_2.json")));
    }
}
