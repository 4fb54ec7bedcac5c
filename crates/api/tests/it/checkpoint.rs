//! The journal's C2SP checkpoint, checked over HTTP by an independent verifier in Python
//! (`c2sp_verify.py`), and the JSON head's signed time in integer microseconds.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::Server;
use crate::over_http;

/// The first Python that has the `cryptography` package: `CLOISON_TEST_PYTHON` if set, then
/// `python3` on the path, then the system's (`/usr/bin/python3`, where Debian's
/// `python3-cryptography`, which `.ci/run` installs when no Python has it, puts the package),
/// since a version manager's `python3` may shadow the system one.
fn python() -> String {
    let candidates = std::env::var("CLOISON_TEST_PYTHON")
        .into_iter()
        .chain(["python3".to_owned(), "/usr/bin/python3".to_owned()]);
    for candidate in candidates {
        let found = Command::new(&candidate).args(["-c", "import cryptography"]).output();
        if found.is_ok_and(|o| o.status.success()) {
            return candidate;
        }
    }
    panic!(
        "the verifier needs a Python with the `cryptography` package: apt-get install python3-cryptography"
    )
}

/// Runs the Python verifier on `note` against the JSON head; true when it accepts.
fn python_accepts(note: &[u8], head: &Value) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("checkpoint.note");
    std::fs::write(&path, note).expect("write the note");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/c2sp_verify.py");
    let output = Command::new(python())
        .arg(script)
        .arg(&path)
        .arg(head["public_key"].as_str().expect("public key"))
        .arg(head["size"].as_u64().expect("size").to_string())
        .arg(head["root"].as_str().expect("root"))
        .output()
        .expect("python3 runs (.ci/run installs python3-cryptography)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "the verifier needs the `cryptography` package (.ci/run installs it): {stderr}"
    );
    output.status.success()
}

async fn checkpoint_verified_by_python(s: &Server) {
    let response = reqwest::get(format!("{}/v1/journal/checkpoint", s.base)).await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    let note = response.bytes().await.expect("body").to_vec();
    let (status, head) = s.get(None, "/v1/journal/head").await;
    assert_eq!(status, StatusCode::OK);

    let text = String::from_utf8(note.clone()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], journal::DEFAULT_ORIGIN, "an installation that sets no origin uses the default");
    assert_eq!(lines[1], head["size"].to_string());
    assert!(lines[4].starts_with(&format!("\u{2014} {} ", journal::DEFAULT_ORIGIN)), "{text}");

    assert!(python_accepts(&note, &head), "the independent verifier refuses {text:?}");
    // One byte changed anywhere, in the text or in the signature line, is refused.
    let positions =
        [0, lines[0].len() + 1, lines[0].len() + lines[1].len() + 3, note.len() - 30, note.len() - 1];
    let em_dash = text.find('\u{2014}').expect("signature line");
    for at in positions.into_iter().chain([em_dash, em_dash + 3]) {
        let mut changed = note.clone();
        changed[at] ^= 0x01;
        assert!(!python_accepts(&changed, &head), "byte {at} changed and still accepted");
    }
}

over_http!(r7_the_checkpoint_is_a_c2sp_note_an_independent_verifier_accepts, checkpoint_verified_by_python);

async fn head_time_in_micros(s: &Server) {
    let (status, head) = s.get(None, "/v1/journal/head").await;
    assert_eq!(status, StatusCode::OK);
    let micros = head["time_micros"].as_i64().expect("time_micros is an integer");
    let time = jiff::Timestamp::from_microsecond(micros).expect("in range");
    assert_eq!(head["time"], time.to_string(), "the same instant as `time`");
    // With the integer, the signature checks from the JSON alone, nothing parsed back.
    let root: journal::Hash = head["root"].as_str().expect("root").parse().expect("hex root");
    let signed = journal::SignedTreeHead {
        head: journal::TreeHead { size: head["size"].as_u64().expect("size"), root, time_micros: micros },
        signature: hex::decode(head["signature"].as_str().expect("signature"))
            .expect("hex")
            .try_into()
            .expect("64 bytes"),
    };
    assert_eq!(signed.verify(&s.app.journal_public_key()), Ok(()));
}

over_http!(r7_the_head_gives_its_signed_time_in_microseconds, head_time_in_micros);
