//! Running the binary as a process with arguments and optional stdin.

use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `routing-eval args`, feeding it `stdin` when given (else an empty, closed stdin), and
/// returns its exit code (-1 if killed by a signal), stdout and stderr.
pub(crate) fn routing_eval(args: &[&str], stdin: Option<&[u8]>) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_routing-eval"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        pipe.write_all(bytes).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}
