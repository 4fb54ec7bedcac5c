//! `cloison admin`: tokens as an operator creates them.

use crate::harness::Workdir;

#[test]
fn a_token_must_expire_in_the_future() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    let before = dir.json(&["journal", "head", "--json"])["size"].clone();
    for expires in ["--expires=-1d", "--expires=0s", "--expires=-90 minutes"] {
        let out =
            dir.run(&["admin", "token", "create", "--party", "staff-ines", "--role", "support", expires]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{expires}: {stderr}");
        assert!(stderr.contains("--expires") && stderr.contains("positive duration"), "{expires}: {stderr}");
        assert!(out.stdout.is_empty(), "no token printed for {expires}");
    }
    assert_eq!(dir.json(&["journal", "head", "--json"])["size"], before, "refused before the database");
    let secret =
        dir.ok(&["admin", "token", "create", "--party", "staff-ines", "--role", "support", "--expires=1h"]);
    assert!(secret.starts_with("clo_"), "{secret}");
}

/// Runs `cloison ARGS` in `dir` with `input` on standard input.
fn with_input(dir: &Workdir, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = dir
        .command(args, &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cloison");
    child.stdin.take().expect("piped").write_all(input.as_bytes()).expect("write the password");
    child.wait_with_output().expect("cloison ends")
}

#[test]
fn a_password_is_read_from_standard_input() {
    let dir = Workdir::new();
    let tour = dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    assert!(tour.contains("demo-support-2026"), "the tour lists the demo logins: {tour}");
    let set = ["admin", "password", "set", "--party", "staff-ines", "--role", "support"];
    let before = dir.json(&["journal", "head", "--json"])["size"].clone();
    for (input, says) in [("", "the password is empty"), ("\n", "the password is empty")] {
        let out = with_input(&dir, &set, input);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input:?}: {stderr}");
        assert!(stderr.contains(says), "{input:?}: {stderr}");
    }
    assert_eq!(dir.json(&["journal", "head", "--json"])["size"], before, "refused before the database");
    let out = with_input(&dir, &set, "short\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("password: password_too_short"), "{stderr}");
    assert!(!stderr.contains("short\n"), "the password is not echoed: {stderr}");

    let out = with_input(&dir, &set, "a long enough passphrase\r\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "password set for staff-ines as support\n");

    let unknown = ["admin", "password", "set", "--party", "nu-nobody", "--role", "customer"];
    let out = with_input(&dir, &unknown, "a long enough passphrase\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("party: no party nu-nobody"), "{stderr}");
    let out =
        with_input(&dir, &["admin", "password", "set", "--party", "staff-ines", "--role", "boss"], "x\n");
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
