//! The tracing sink: logs a one-line summary of each item.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use super::{Delivered, Sink};
use crate::{Error, ErrorKind, Result};

/// Longest string value quoted in a summary, in characters.
const MAX_QUOTED_CHARS: usize = 64;

type Summarize = Arc<dyn Fn(&Value) -> String + Send + Sync>;

/// Logs each item through `tracing` at `info` level: its size in bytes and a one-line summary
/// (by default every top-level field, with nested values reduced to their size).
///
/// Serves any [`Serialize`] item. For a report the default summary reads like
/// `evaluation_id="ev_1", record_count=3, window={2 keys}, data=[3 items]`.
///
/// # Example
/// ```
/// use genesys_routing_eval::sink::{self, TracingSink};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let log = TracingSink::new().with_summary(|item| format!("{} strategies", item["record_count"]));
/// let outcome = sink::deliver(&log, &serde_json::json!({"record_count": 3})).await;
/// assert!(outcome.is_delivered());
/// # }
/// ```
#[derive(Clone)]
pub struct TracingSink {
    name: String,
    summarize: Summarize,
}

impl TracingSink {
    /// A sink named `tracing` using [`TracingSink::summarize`].
    pub fn new() -> Self {
        TracingSink {
            name: "tracing".into(),
            summarize: Arc::new(TracingSink::summarize),
        }
    }

    /// Renames the sink (as audit records show it).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Summarizes items with `summarize`, given the item's JSON form.
    pub fn with_summary(
        mut self,
        summarize: impl Fn(&Value) -> String + Send + Sync + 'static,
    ) -> Self {
        self.summarize = Arc::new(summarize);
        self
    }

    /// The default summary: an object's top-level fields as `key=value` (strings quoted and
    /// shortened, arrays as `[n items]`, objects as `{n keys}`), anything else the same way.
    pub fn summarize(item: &Value) -> String {
        match item {
            Value::Object(fields) => fields
                .iter()
                .map(|(key, value)| format!("{key}={}", brief(value)))
                .collect::<Vec<_>>()
                .join(", "),
            other => brief(other),
        }
    }
}

fn brief(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("[{} items]", items.len()),
        Value::Object(fields) => format!("{{{} keys}}", fields.len()),
        Value::String(text) if text.chars().count() > MAX_QUOTED_CHARS => {
            let cut: String = text.chars().take(MAX_QUOTED_CHARS).collect();
            format!("{:?}", cut + "…")
        }
        other => other.to_string(),
    }
}

impl Default for TracingSink {
    fn default() -> Self {
        TracingSink::new()
    }
}

impl fmt::Debug for TracingSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TracingSink")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl<T> Sink<T> for TracingSink
where
    T: Serialize + Sync + ?Sized,
{
    fn name(&self) -> &str {
        &self.name
    }

    async fn deliver(&self, item: &T) -> Result<Delivered> {
        let value = serde_json::to_value(item).map_err(|err| {
            Error::new(
                ErrorKind::Sink,
                format!("could not serialize the item to json: {err}"),
            )
            .with_source(err)
        })?;
        let bytes = value.to_string().len();
        let summary = (self.summarize)(&value);
        tracing::info!(sink = %self.name, bytes, %summary, "item received");
        Ok(Delivered::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summary_lists_top_level_fields_and_sizes_nested_ones() {
        let report = json!({
            "evaluation_id": "ev_1",
            "record_count": 3,
            "window": {"from": "a", "to": "b"},
            "data": [1, 2, 3],
            "note": null,
        });
        // Field order follows serde_json's map (sorted, or insertion order with its
        // `preserve_order` feature), so compare as a set.
        let summary = TracingSink::summarize(&report);
        let mut parts: Vec<&str> = summary.split(", ").collect();
        parts.sort_unstable();
        assert_eq!(
            parts,
            vec![
                "data=[3 items]",
                r#"evaluation_id="ev_1""#,
                "note=null",
                "record_count=3",
                "window={2 keys}",
            ]
        );
        assert_eq!(TracingSink::summarize(&json!([1, 2])), "[2 items]");
    }

    #[test]
    fn summary_shortens_long_strings() {
        let long = "x".repeat(100);
        let summary = TracingSink::summarize(&json!({ "s": long }));
        assert_eq!(summary, format!("s=\"{}…\"", "x".repeat(64)));
    }
}
