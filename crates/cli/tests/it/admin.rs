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
