//! F8 of issue 11: a reader that stops early (`| head -1`) ends the command quietly.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::harness::Workdir;

#[test]
fn a_closed_standard_output_ends_the_command_without_a_panic() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "60"]);
    let args = [
        "--as",
        "ethics-1:auditor",
        "journal",
        "search",
        "--actor",
        "cloison-demo",
        "--limit",
        "100000",
        "--json",
    ];
    // More than a pipe holds (64 KiB on Linux), so the command is still writing when the
    // reader goes: otherwise it would finish into the pipe's buffer and prove nothing.
    let whole = dir.ok(&args);
    assert!(whole.len() > 4 * 65_536, "the output is too small to fill a pipe: {} bytes", whole.len());
    for args in [&args[..], &args[..args.len() - 1]] {
        let mut child = dir
            .command(args, &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cloison");
        let stdout = child.stdout.take().expect("piped");
        let mut first = String::new();
        BufReader::new(stdout).read_line(&mut first).expect("one line");
        assert!(!first.is_empty(), "the command printed");
        // The reader is dropped here, closing the pipe, as `head -1` does.
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 141)), "{args:?}: {} {stderr}", out.status);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
}
