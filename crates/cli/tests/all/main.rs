//! Tests of the `routing-eval` binary, run as a process: one test binary, so the crates link
//! once.

mod compare;
mod compare_live;
mod conformance;
mod emulate;
mod evaluate;
mod html;
mod process;
mod safety;
mod score;
