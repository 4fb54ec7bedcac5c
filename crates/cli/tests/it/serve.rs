//! `cloison serve` refuses a server configuration it cannot honour, before opening anything,
//! and says which setting or file is wrong.

use crate::harness::Workdir;

/// Runs `cloison ARGS`, requires exit code 1, and returns standard error.
fn fails(dir: &Workdir, args: &[&str]) -> String {
    let out = dir.run(args);
    assert_eq!(out.status.code(), Some(1), "cloison {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn tls_files_that_cannot_be_used_are_named() {
    let dir = Workdir::new();
    std::fs::write(dir.file("garbage.pem"), "no PEM here\n").expect("write");
    let listen = ["serve", "--listen", "127.0.0.1:0"];

    let err = fails(&dir, &[&listen[..], &["--tls-cert", "absent.crt", "--tls-key", "garbage.pem"]].concat());
    assert!(err.contains("certificate file absent.crt") && err.contains("cannot read"), "{err}");
    let err =
        fails(&dir, &[&listen[..], &["--tls-cert", "garbage.pem", "--tls-key", "garbage.pem"]].concat());
    assert!(err.contains("garbage.pem") && err.contains("no PEM CERTIFICATE"), "{err}");
    let err = fails(&dir, &[&listen[..], &["--tls-cert", "garbage.pem"]].concat());
    assert!(err.contains("no private key") && err.contains("--tls-key"), "{err}");
    // The configuration file feeds the same check.
    std::fs::write(dir.file("cloison.toml"), "tls_key = \"absent.key\"\n").expect("write");
    let err = fails(&dir, &listen);
    assert!(err.contains("absent.key") && err.contains("no certificate"), "{err}");
}

#[test]
fn a_rate_limit_must_be_a_positive_whole_number() {
    let dir = Workdir::new();
    let out = dir.run(&["serve", "--listen", "127.0.0.1:0", "--rate-limit-per-second", "0"]);
    assert_eq!(out.status.code(), Some(2), "clap refuses 0: {}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(dir.file("cloison.toml"), "rate_limit_burst = 0\n").expect("write");
    let err = fails(&dir, &["serve", "--listen", "127.0.0.1:0"]);
    assert!(err.contains("rate limit burst must be at least 1"), "{err}");
}

#[test]
fn connection_limits_are_checked_and_their_source_named() {
    let dir = Workdir::new();
    let listen = ["serve", "--listen", "127.0.0.1:0"];
    let err = fails(&dir, &[&listen[..], &["--header-read-timeout", "0s"]].concat());
    assert!(err.contains("--header-read-timeout") && err.contains("more than zero"), "{err}");
    let err = fails(&dir, &[&listen[..], &["--idle-timeout", "a while"]].concat());
    assert!(err.contains("--idle-timeout") && err.contains("not a duration"), "{err}");
    std::fs::write(dir.file("cloison.toml"), "idle_timeout = \"soon\"\n").expect("write");
    let err = fails(&dir, &listen);
    assert!(err.contains("idle_timeout") && err.contains("\"soon\""), "{err}");
    std::fs::write(dir.file("cloison.toml"), "max_connections = 0\n").expect("write");
    let err = fails(&dir, &listen);
    assert!(err.contains("max connections must be at least 1"), "{err}");
}
