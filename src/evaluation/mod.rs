//! The evaluation pipeline: window, query, score, deliver, audit.

pub mod window;

pub use window::{Window, WindowSpec};
