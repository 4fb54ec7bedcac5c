//! `cloison witness serve` and `cloison serve` configured with it, as two real processes:
//! the witness creates its key once, prints its verifier key, and the API ends up serving a
//! checkpoint that carries the witness's cosignature.

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use journal::{Origin, VerifierKey, open_note, verify_cosignature};

use crate::harness::{Running, Workdir, start};

/// Starts `cloison witness serve` for the journal whose public key is `public_key`; returns
/// the process, its verifier key and its address.
fn witness(dir: &Workdir, public_key: &str) -> (Running, VerifierKey, String) {
    let log = format!("{}={public_key}", journal::DEFAULT_ORIGIN);
    let args = [
        "witness",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--name",
        "witness.test/w1",
        "--key-file",
        "w.key",
        "--state",
        "w.json",
        "--log",
        &log,
    ];
    let (running, stdout) = start(dir, &args, &[]);
    let mut vkey = String::new();
    BufReader::new(stdout).read_line(&mut vkey).expect("the verifier key on standard output");
    let vkey: VerifierKey = vkey.trim().parse().expect("a verifier key");
    let address = running.address("listening on");
    (running, vkey, address)
}

#[test]
fn serve_with_a_witness_publishes_its_cosignature() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    let public_key = dir.json(&["journal", "head", "--json"])["public_key"].as_str().expect("key").to_owned();

    let (first, vkey, _) = witness(&dir, &public_key);
    assert_eq!(vkey.name().as_str(), "witness.test/w1");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.file("w.key")).expect("key file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the witness key is readable by its owner only");
    }
    // A restart keeps the key: log operators configure it once.
    drop(first);
    let (_witness, again, witness_address) = witness(&dir, &public_key);
    assert_eq!(again, vkey);

    let witnesses = format!("{witness_address} {vkey}");
    let env = [("CLOISON_WITNESSES", witnesses.as_str()), ("CLOISON_WITNESS_INTERVAL", "1s")];
    let (api, _stdout) = start(&dir, &["serve", "--listen", "127.0.0.1:0"], &env);
    let log_vkey = api.line_with("journal verifier key");
    assert!(log_vkey.contains(journal::DEFAULT_ORIGIN), "{log_vkey}");
    let base = api.address("serving the Cloison API on");

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let log_key =
        app::VerifyingKey::from_bytes(&hex::decode(&public_key).expect("hex").try_into().expect("32 bytes"))
            .expect("key");
    let note = runtime.block_on(async {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let note = client
                .get(format!("{base}/v1/journal/checkpoint"))
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("body");
            if verify_cosignature(&note, &vkey).is_ok() {
                return note;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the API never served a checkpoint cosigned by the witness");
    });
    // Still the journal's own checkpoint, signed by its key, with the witness's line after.
    open_note(&note, &Origin::default(), &log_key).expect("the journal's signature");
    assert!(note.lines().last().expect("lines").starts_with("\u{2014} witness.test/w1 "), "{note}");
    // One changed byte of the served note and the cosignature fails.
    let changed = note.replacen(journal::DEFAULT_ORIGIN, "cloison.example/journaL", 1);
    assert!(verify_cosignature(&changed, &vkey).is_err());
}

#[test]
fn witness_settings_that_cannot_be_used_are_named() {
    let dir = Workdir::new();
    let out = dir.run_env(
        &["serve", "--listen", "127.0.0.1:0"],
        &[("CLOISON_WITNESSES", "http://127.0.0.1:1 not-a-key")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CLOISON_WITNESSES") && stderr.contains("witness key"), "{stderr}");
    let out = dir.run(&["witness", "serve", "--name", "w.test/w", "--log", "cloison.example/journal=abcd"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--log") && stderr.contains("64 hexadecimal"), "{stderr}");
    assert!(!dir.file("witness.key").exists(), "nothing is created for a refused configuration");
}
