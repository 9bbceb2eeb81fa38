//! Progress events for long-running work: job submitted, job state, pages fetched, sink
//! delivered. An observer is a plain callback; everything is also traced with `tracing`.

use std::fmt;
use std::sync::Arc;

/// Something that happened while an evaluation ran.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ProgressEvent {
    /// A job was accepted by the server.
    JobSubmitted {
        /// The server's job id.
        job_id: String,
    },
    /// A poll saw the job in this state (as the server spelled it).
    JobState {
        /// The server's job id.
        job_id: String,
        /// The state, such as `QUEUED` or `FULFILLED`.
        state: String,
    },
    /// A page of results was fetched and merged.
    PageFetched {
        /// The server's job id (empty for synchronous queries).
        job_id: String,
        /// 1-based page number within the job.
        page: usize,
        /// Groups or entities on the page.
        rows: usize,
    },
    /// A job was cancelled (deadline passed or the caller gave up).
    JobCancelled {
        /// The server's job id.
        job_id: String,
    },
    /// A sink finished with an item.
    SinkDelivered {
        /// The sink's name.
        sink: String,
        /// Whether it succeeded.
        ok: bool,
    },
}

/// A progress callback.
type Observer = Arc<dyn Fn(&ProgressEvent) + Send + Sync>;

/// Where progress events go: nowhere by default, or to a callback.
#[derive(Clone, Default)]
pub struct Progress {
    observer: Option<Observer>,
}

impl Progress {
    /// Progress that is only traced.
    pub fn none() -> Self {
        Progress::default()
    }

    /// Progress delivered to `observer` (called inline: keep it quick).
    pub fn with_observer(observer: impl Fn(&ProgressEvent) + Send + Sync + 'static) -> Self {
        Progress {
            observer: Some(Arc::new(observer)),
        }
    }

    /// Reports `event` to the observer and to `tracing`.
    pub fn emit(&self, event: ProgressEvent) {
        tracing::debug!(?event, "progress");
        if let Some(observer) = &self.observer {
            observer(&event);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn observer_sees_every_event_in_order() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let progress = Progress::with_observer(move |e| sink.lock().unwrap().push(e.clone()));
        progress.emit(ProgressEvent::JobSubmitted { job_id: "j".into() });
        progress.emit(ProgressEvent::JobCancelled { job_id: "j".into() });
        assert_eq!(seen.lock().unwrap().len(), 2);
        Progress::none().emit(ProgressEvent::JobSubmitted { job_id: "x".into() });
    }
}
