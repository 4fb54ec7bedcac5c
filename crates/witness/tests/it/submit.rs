//! The log's side: the client `cloison serve` runs asks the witness to cosign each new head
//! and publishes the note with the cosignature; a forked journal never gets one.

use std::time::{Duration, Instant};

use journal::{Origin, open_note, verify_cosignature};

use crate::each_backend;
use crate::harness::{Backend, Log, WitnessServer};

/// Waits until the published checkpoint is cosigned by the witness at `size`, or gives up.
async fn cosigned_at(log: &Log, witness: &WitnessServer, size: u64, within: Duration) -> Option<String> {
    let started = Instant::now();
    while started.elapsed() < within {
        let note = log.app.journal_published_checkpoint().await.expect("published");
        let checkpoint =
            open_note(&note, &Origin::default(), &log.app.journal_public_key()).expect("our own");
        if checkpoint.size == size && verify_cosignature(&note, &witness.key).is_ok() {
            return Some(note);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

async fn serve_publishes_the_witness_cosignature_and_a_fork_gets_none(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let witness = WitnessServer::start(&dir.path().join("witness.json")).await;
    let Some(log) = Log::create(backend).await else { return };
    log.append(3, "test.original").await;
    // Until a witness has cosigned, the bare head is published.
    let bare = log.app.journal_published_checkpoint().await.expect("published");
    assert!(verify_cosignature(&bare, &witness.key).is_err());

    let target = witness::Target::new(&witness.base, &witness.key.to_string()).expect("target");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let client = tokio::spawn(witness::submit(
        log.app.clone(),
        vec![target.clone()],
        Duration::from_millis(100),
        async {
            let _ = stopped.await;
        },
    ));
    let size = log.size().await;
    let note = cosigned_at(&log, &witness, size, Duration::from_secs(10)).await;
    assert!(note.is_some(), "the witness's cosignature was published for size {size}");
    // The head moves; the next checkpoint is cosigned from the size the witness holds.
    log.append(4, "test.original").await;
    let size = log.size().await;
    assert!(cosigned_at(&log, &witness, size, Duration::from_secs(10)).await.is_some(), "size {size}");
    let _ = stop.send(());
    client.await.expect("client stopped");

    // A fork of the journal (same key, same origin, other entries) asks the same witness:
    // it is never cosigned, and its published checkpoint stays bare.
    let Some(fork) = Log::create(backend).await else { return };
    fork.append(size as usize + 3, "test.forged").await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let client =
        tokio::spawn(witness::submit(fork.app.clone(), vec![target], Duration::from_millis(100), async {
            let _ = stopped.await;
        }));
    let forked = fork.size().await;
    assert!(cosigned_at(&fork, &witness, forked, Duration::from_secs(2)).await.is_none());
    let published = fork.app.journal_published_checkpoint().await.expect("published");
    assert!(verify_cosignature(&published, &witness.key).is_err(), "{published}");
    let _ = stop.send(());
    client.await.expect("client stopped");

    fork.finish().await;
    log.finish().await;
    witness.stop().await;
}
each_backend!(
    serve_publishes_the_witness_cosignature_and_a_fork_gets_none,
    serve_publishes_the_witness_cosignature_and_a_fork_gets_none
);

#[test]
fn witness_settings_are_refused_naming_what_is_wrong() {
    let key = "witness.example/w1+24b5d9fe+BP0XJDhaoMdbZPt4zWAvodmR/ev3axPFjtcC6sg16fYY";
    assert!(witness::Target::parse(&format!("https://w.example/ {key}")).is_ok());
    let error = |text: &str| witness::Target::parse(text).expect_err(text).to_string();
    assert!(error(key).contains("URL, a space"), "{}", error(key));
    assert!(error(&format!("ftp://w.example {key}")).contains("http://"));
    let log_key = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    assert!(error(&format!("https://w.example {log_key}")).contains("type 0x04"));
    assert!(error("https://w.example nonsense").contains("witness key"));
}
