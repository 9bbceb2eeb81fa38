//! The JSON lines sink: one compact JSON record per line, appended and synced.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use serde::Serialize;

use super::{Delivered, Sink};
use crate::{Error, ErrorKind, Result};

/// Appends each item as one line of compact JSON to a file, then flushes and syncs it.
///
/// Safe for concurrent evaluations in one process: every append to a given path, from this
/// sink or any other `JsonLinesSink` for the same path, holds that path's lock for the whole
/// write and sync, so lines never interleave. The file is opened per item (created when
/// missing, in append mode), so log rotation just works. If the file does not end with a
/// newline (a write cut short by a crash), a newline is added first so the new record stays
/// whole.
///
/// Serves any [`Serialize`] item.
///
/// # Example
/// ```no_run
/// use genesys_routing_eval::sink::{self, JsonLinesSink};
///
/// # async fn run() {
/// let audit = JsonLinesSink::new("audit.jsonl").with_name("audit-log");
/// let outcome = sink::deliver(&audit, &serde_json::json!({"audit_id": "aud_1"})).await;
/// assert!(outcome.is_delivered());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JsonLinesSink {
    name: String,
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl JsonLinesSink {
    /// A sink appending to `path`, named `json_lines`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let lock = lock_for(&path);
        JsonLinesSink {
            name: "json_lines".into(),
            path,
            lock,
        }
    }

    /// A sink appending to `path`, checked now: missing parent directories are created and
    /// the file is opened for appending (and created, empty, when missing), so that a path
    /// that cannot be written fails before an evaluation makes any request.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the path and the cause.
    ///
    /// # Example
    /// ```
    /// use genesys_routing_eval::sink::JsonLinesSink;
    /// let dir = std::env::temp_dir().join(format!("jsonl-doc-{}", std::process::id()));
    /// let sink = JsonLinesSink::create(dir.join("logs/audit.jsonl")).unwrap();
    /// assert!(sink.path().exists());
    /// # std::fs::remove_dir_all(dir).unwrap();
    /// ```
    pub fn create(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let opened = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) => std::fs::create_dir_all(parent),
            None => Ok(()),
        }
        .and_then(|()| OpenOptions::new().append(true).create(true).open(&path));
        match opened {
            Ok(_) => Ok(JsonLinesSink::new(path)),
            Err(err) => Err(Error::invalid(crate::ValidationError::Invalid {
                name: "path".into(),
                reason: format!(
                    "`{}` cannot be appended to ({err}); choose a writable file",
                    path.display()
                ),
            })),
        }
    }

    /// Renames the sink (as audit records show it).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The file appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl<T> Sink<T> for JsonLinesSink
where
    T: Serialize + Sync + ?Sized,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, item: &T) -> Result<Delivered> {
        let mut line = serde_json::to_vec(item).map_err(|err| {
            Error::new(
                ErrorKind::Sink,
                format!("could not serialize the item to json: {err}"),
            )
            .with_source(err)
        })?;
        line.push(b'\n');
        let path = self.path.clone();
        let lock = Arc::clone(&self.lock);
        // The lock is taken inside the blocking task, not around it: if this future is
        // dropped mid-write, the write still finishes before another can start.
        let written = tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            append_synced(&path, &line)
        })
        .await
        .unwrap_or_else(|join| Err(io::Error::other(join.to_string())));
        written.map_err(|err| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "could not append to {}: {err}; check that its directory exists and is writable",
                    self.path.display()
                ),
            )
            .with_source(err)
        })?;
        Ok(Delivered::new())
    }
}

fn append_synced(path: &Path, line: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)?;
    if !ends_with_newline(&mut file)? {
        file.write_all(b"\n")?;
    }
    file.write_all(line)?;
    file.flush()?;
    file.sync_data()
}

/// Whether the file is empty or its last byte is a newline.
fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// The process-wide lock for `path`, shared by every sink appending to it.
fn lock_for(path: &Path) -> Arc<Mutex<()>> {
    static LOCKS: OnceLock<Mutex<HashMap<PathBuf, Arc<Mutex<()>>>>> = OnceLock::new();
    let key = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Arc::clone(locks.entry(key).or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn completes_a_line_cut_short_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        std::fs::write(&path, b"{\"cut\":").unwrap();
        let sink = JsonLinesSink::new(&path);
        Sink::<serde_json::Value>::deliver(&sink, &serde_json::json!({"a": 1}))
            .await
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"cut\":\n{\"a\":1}\n"
        );
    }

    #[test]
    fn sinks_for_the_same_path_share_one_lock() {
        let a = JsonLinesSink::new("same.jsonl");
        let b = JsonLinesSink::new("./same.jsonl");
        let c = JsonLinesSink::new("other.jsonl");
        assert!(Arc::ptr_eq(&a.lock, &b.lock));
        assert!(!Arc::ptr_eq(&a.lock, &c.lock));
    }
}
