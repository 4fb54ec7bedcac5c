//! The witness refuses what does not extend what it cosigned, over HTTP, with journals
//! written by Cloison itself; its cosignatures verify with its key alone.

use journal::witness::SIZE_CONTENT_TYPE;
use journal::{Origin, TreeHead, open_note, verify_cosignature};

use crate::each_backend;
use crate::harness::{Backend, Log, WitnessServer, logs};

/// The note of `log` with the witness's answer appended.
async fn cosigned(log: &Log, answer: &str) -> String {
    format!("{}{answer}", log.note().await)
}

async fn cosigns_extensions_and_refuses_forks_and_rollbacks(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let witness = WitnessServer::start(&dir.path().join("witness.json")).await;
    let Some(log) = Log::create(backend).await else { return };
    log.append(5, "test.original").await;
    let first = log.size().await;

    // First contact: old 0, no proof.
    let (status, _, answer) = witness.add(log.request(0).await).await;
    assert_eq!(status, 200, "{answer}");
    let note = cosigned(&log, &answer).await;
    verify_cosignature(&note, &witness.key).expect("the cosignature verifies with the witness's key");
    // Still a valid checkpoint of the log: the witness's line is ignored by the log's verifier.
    open_note(&note, &Origin::default(), &log.app.journal_public_key()).expect("log signature");

    // A fork: the same journal key and origin, another history, further along.
    let Some(fork) = Log::create(backend).await else { return };
    fork.append(8, "test.forged").await;
    assert!(fork.size().await > first);
    let (status, _, answer) = witness.add(fork.request(first).await).await;
    assert_eq!(status, 422, "a fork's proof from the held size cannot verify: {answer}");
    // The same fork at exactly the held size: another root for the same size.
    let Some(same_size) = Log::create(backend).await else { return };
    same_size.append(first as usize - same_size.size().await as usize, "test.forged").await;
    assert_eq!(same_size.size().await, first);
    let (status, content_type, answer) = witness.add(same_size.request(first).await).await;
    assert_eq!(
        (status, content_type.as_str(), answer.as_str()),
        (409, SIZE_CONTENT_TYPE, format!("{first}\n").as_str())
    );

    // A rollback: a smaller tree than the one cosigned, signed by the same key.
    let Some(rolled_back) = Log::create(backend).await else { return };
    let (status, _, answer) = witness.add(rolled_back.request(rolled_back.size().await).await).await;
    assert_eq!(status, 409, "{answer}");
    let body = rolled_back.request(0).await.replacen("old 0\n", &format!("old {first}\n"), 1);
    let (status, _, answer) = witness.add(body).await;
    assert_eq!(status, 400, "old beyond the checkpoint's size: {answer}");

    // The genuine log moves on: consistent, cosigned.
    log.append(3, "test.original").await;
    let (status, _, answer) = witness.add(log.request(first).await).await;
    assert_eq!(status, 200, "{answer}");
    verify_cosignature(&cosigned(&log, &answer).await, &witness.key).expect("verifies");

    for other in [fork, same_size, rolled_back] {
        other.finish().await;
    }
    log.finish().await;
    witness.stop().await;
}
each_backend!(
    cosigns_extensions_and_refuses_forks_and_rollbacks,
    cosigns_extensions_and_refuses_forks_and_rollbacks
);

async fn a_stale_old_size_gets_409_with_the_held_size_even_after_a_restart(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("witness.json");
    let witness = WitnessServer::start(&state).await;
    let Some(log) = Log::create(backend).await else { return };
    log.append(4, "test.original").await;
    let held = log.size().await;
    assert_eq!(witness.add(log.request(0).await).await.0, 200);
    log.append(2, "test.original").await;

    let (status, content_type, body) = witness.add(log.request(0).await).await;
    assert_eq!((status, content_type.as_str(), body.clone()), (409, SIZE_CONTENT_TYPE, format!("{held}\n")));
    // What the witness holds survives it: a restarted witness answers the same.
    witness.stop().await;
    let witness = WitnessServer::start(&state).await;
    let (status, _, body) = witness.add(log.request(1).await).await;
    assert_eq!((status, body), (409, format!("{held}\n")));
    // Retrying from the size the witness reports succeeds.
    let (status, _, answer) = witness.add(log.request(held).await).await;
    assert_eq!(status, 200, "{answer}");
    log.finish().await;
    witness.stop().await;
}
each_backend!(
    a_stale_old_size_gets_409_with_the_held_size_even_after_a_restart,
    a_stale_old_size_gets_409_with_the_held_size_even_after_a_restart
);

/// A cosignature is bound to every byte: a changed byte of the checkpoint or of the line
/// makes it fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cosignature_fails_when_one_byte_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let witness = WitnessServer::start(&dir.path().join("witness.json")).await;
    let log = Log::create(Backend::Sqlite).await.expect("sqlite");
    log.append(3, "test.original").await;
    let (status, _, answer) = witness.add(log.request(0).await).await;
    assert_eq!(status, 200, "{answer}");
    let note = cosigned(&log, &answer).await;
    let time = verify_cosignature(&note, &witness.key).expect("verifies");
    // The bytes the cosignature covers (the text) and carries (its own line, the last).
    let text = note.find("\n\n").expect("blank line") + 1;
    let own_line = note.len() - note.lines().last().expect("lines").len() - 1;
    for at in (0..text).chain(own_line..note.len()) {
        let mut bytes = note.as_bytes().to_vec();
        bytes[at] ^= 0x01;
        let still = std::str::from_utf8(&bytes)
            .is_ok_and(|changed| verify_cosignature(changed, &witness.key) == Ok(time));
        assert!(!still, "byte {at} changed and the cosignature still verifies");
    }
    log.finish().await;
    witness.stop().await;
}

/// The other answers of the specification: an unknown log (404), a checkpoint not signed by
/// the log's key (403), a body that is not a request (400), and nothing is recorded for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_logs_unsigned_checkpoints_and_garbage_are_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let witness = WitnessServer::start(&dir.path().join("witness.json")).await;
    let head = TreeHead { size: 0, root: journal::empty_root(), time_micros: 0 };
    let log_key = app::SigningKey::from_bytes(&crate::harness::LOG_SEED);
    let stranger: Origin = "stranger.example/log".parse().expect("origin");
    let body = |note: String| format!("old 0\n\n{note}");

    let (status, _, _) = witness.add(body(journal::sign_note(&stranger, &head, &log_key))).await;
    assert_eq!(status, 404);
    let forged = journal::sign_note(&Origin::default(), &head, &app::SigningKey::from_bytes(&[8; 32]));
    let (status, _, answer) = witness.add(body(forged)).await;
    assert_eq!(status, 403, "{answer}");
    let (status, _, answer) = witness.add("old 0\nnot a hash\n\nnote\n".into()).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("consistency proof"), "the answer names the part: {answer}");
    // None of these changed what the witness holds: nothing, so old 0 is still right.
    assert!(logs().contains_key(&Origin::default()));
    let (status, _, answer) =
        witness.add(body(journal::sign_note(&Origin::default(), &head, &log_key))).await;
    assert_eq!(status, 200, "{answer}");
    witness.stop().await;
}
