//! The memory sink: keeps every item it receives.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;

use super::{Delivered, Sink};
use crate::Result;

/// Keeps a clone of every item it receives, in order: for tests and for embedding the
/// evaluation in a service that reads results back.
///
/// Clones share the same storage, so keep one clone and hand another to the pipeline as
/// `Arc<dyn Sink<T>>`.
///
/// # Example
/// ```
/// use genesys_routing_eval::sink::{MemorySink, Sink};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let kept = MemorySink::<String>::new();
/// kept.deliver(&"first".to_owned()).await.unwrap();
/// assert_eq!(kept.items(), vec!["first".to_owned()]);
/// # }
/// ```
pub struct MemorySink<T> {
    name: String,
    items: Arc<Mutex<Vec<T>>>,
}

impl<T> MemorySink<T> {
    /// An empty sink named `memory`.
    pub fn new() -> Self {
        MemorySink {
            name: "memory".into(),
            items: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Renames the sink (as audit records show it).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Removes and returns every item held.
    pub fn take(&self) -> Vec<T> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<T>> {
        // A panic while holding the lock cannot leave a Vec half-pushed; keep serving.
        self.items
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<T: Clone> MemorySink<T> {
    /// A copy of every item held, oldest first.
    pub fn items(&self) -> Vec<T> {
        self.lock().clone()
    }

    /// The newest item, if any.
    pub fn last(&self) -> Option<T> {
        self.lock().last().cloned()
    }
}

impl<T> Default for MemorySink<T> {
    fn default() -> Self {
        MemorySink::new()
    }
}

impl<T> Clone for MemorySink<T> {
    fn clone(&self) -> Self {
        MemorySink {
            name: self.name.clone(),
            items: Arc::clone(&self.items),
        }
    }
}

impl<T> fmt::Debug for MemorySink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySink")
            .field("name", &self.name)
            .field("len", &self.len())
            .finish()
    }
}

#[async_trait]
impl<T> Sink<T> for MemorySink<T>
where
    T: Clone + Send + Sync,
{
    fn name(&self) -> &str {
        &self.name
    }

    fn is_in_memory(&self) -> bool {
        true
    }

    async fn deliver(&self, item: &T) -> Result<Delivered> {
        self.lock().push(item.clone());
        Ok(Delivered::new())
    }
}
