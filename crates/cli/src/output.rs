//! Standard output of command results, where a reader that stops early ends the command
//! quietly instead of panicking.
//!
//! `println!` panics when standard output is a pipe whose reader has gone (`cloison journal
//! head | head -1`), because Rust ignores SIGPIPE and the write fails with `BrokenPipe`.
//! Restoring the default SIGPIPE action instead would need `unsafe` (forbidden in this
//! workspace) and would also apply to the server's sockets. So results are written through
//! here: a closed output becomes [`Closed`], which `main` turns into the conventional exit
//! status 141 (128 + SIGPIPE) with no message. Not 0: a `journal verify` whose report was cut
//! off must not read as a verification that passed.

use std::io::Write;

/// Standard output was closed by its reader.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct Closed;

/// Writes `text` to standard output.
pub fn write_str(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
    }
}

/// `print!` that returns a closed output as an error instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_str(&format!($($arg)*))
    };
}

/// `println!` that returns a closed output as an error instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write_str(&format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

/// Shows the label of an answer that passed the gate (R8): how confidential it is and the
/// journal entry that records that it was sent. On standard error, so that what a program
/// reads on standard output (the JSON, byte for byte as the journal digested it, or the text)
/// is unchanged, while a person at the terminal sees the label under the answer.
pub fn label<T>(sent: &app::Sent<T>) {
    if let Some(label) = sent.label() {
        // A closed standard error loses only the label's echo; the answer was journaled.
        let _ = writeln!(std::io::stderr().lock(), "{label}");
    }
}

/// The answer, once its label is shown.
pub fn labelled<T>(sent: app::Sent<T>) -> app::Sent<T> {
    label(&sent);
    sent
}
