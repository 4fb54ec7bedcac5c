//! R7 from the command line: the journal proves itself to an auditor, and survives a crash.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use journal::{Hash, verify_consistency, verify_inclusion};

use crate::harness::{PgDb, Workdir};

fn hashes(value: &serde_json::Value) -> Vec<Hash> {
    value["hashes"]
        .as_array()
        .expect("hashes")
        .iter()
        .map(|h| h.as_str().expect("hex").parse().expect("hash"))
        .collect()
}

#[test]
fn head_entries_and_proofs_check_out_with_the_public_key_alone() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "30"]);
    let head = dir.json(&["journal", "head", "--json"]);
    let size = head["size"].as_u64().expect("size");
    assert!(size > 100, "the demo journals every change: {size}");
    let root: Hash = head["root"].as_str().expect("root").parse().expect("hash");
    for index in [0, 1, size / 2, size - 1] {
        let entry = dir.json(&["--as", "ethics-1:auditor", "journal", "entry", &index.to_string(), "--json"]);
        let bytes = hex::decode(entry["bytes"].as_str().expect("bytes")).expect("hex");
        let leaf = journal::leaf_hash(&bytes);
        assert_eq!(entry["leaf_hash"].as_str(), Some(leaf.to_string().as_str()));
        // Reading entries is journaled, so the journal grows: prove against the head taken.
        let proof = dir.json(&[
            "journal",
            "proof",
            "inclusion",
            &index.to_string(),
            "--size",
            &size.to_string(),
            "--json",
        ]);
        assert_eq!(proof["root"].as_str(), Some(root.to_string().as_str()));
        verify_inclusion(&leaf, index, size, &hashes(&proof), &root).expect("inclusion verifies");
    }
    let old = size / 3;
    let proof = dir.json(&["journal", "proof", "consistency", &old.to_string(), &size.to_string(), "--json"]);
    let old_root: Hash = proof["old_root"].as_str().expect("old root").parse().expect("hash");
    verify_consistency(old, size, &old_root, &root, &hashes(&proof)).expect("consistency verifies");
    // The auditor checks with the published public key only.
    let verified =
        dir.json(&["journal", "verify", "--public-key", head["public_key"].as_str().expect("key"), "--json"]);
    assert_eq!(verified["ok"], true);
    let other = "11".repeat(32);
    let out = dir.run(&["journal", "verify", "--public-key", &other]);
    assert!(!out.status.success(), "another key does not verify the heads");
    // Reads are journaled too: the tour's history read is findable by subject.
    let ean = domain::Ean::from_body(54_144_800_000_000_000).expect("body").to_string();
    let ean = if dir.run(&["register", "show", &ean]).status.success() {
        ean
    } else {
        domain::Ean::from_body(54_144_900_000_000_000).expect("body").to_string()
    };
    dir.ok(&["register", "show", &ean, "--at", "2024-01-01"]);
    let found = dir.json(&["--as", "ethics-1:auditor", "journal", "search", "--subject", &ean, "--json"]);
    let actions: Vec<&str> =
        found.as_array().expect("list").iter().filter_map(|e| e["entry"]["action"].as_str()).collect();
    assert!(actions.contains(&"register.access_point.put"), "{actions:?}");
    assert!(actions.contains(&"register.show"), "{actions:?}");
}

#[tokio::test]
async fn verify_names_the_altered_index_and_exits_non_zero() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "20"]);
    let url = format!("sqlite://{}", dir.file("cloison.sqlite").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("open as a DBA would");
    sqlx::query("DROP TRIGGER journal_entries_no_update").execute(&pool).await.expect("drop trigger");
    sqlx::query("UPDATE journal_entries SET leaf_hash = zeroblob(32) WHERE seq = 42")
        .execute(&pool)
        .await
        .expect("alter");
    pool.close().await;
    let out = dir.run(&["journal", "verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("index 42"), "{stderr}");
}

/// A process appending under load is killed with SIGKILL; every index it had printed as
/// acknowledged is in the journal after restart, and the journal verifies.
#[test]
fn sigkill_under_load_loses_no_acknowledged_entry() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_cloison"))
        .args(["bench", "journal", "--writers", "8", "--entries", "10000000", "--print-acks"])
        .current_dir(dir.path())
        .env_remove("CLOISON_DATABASE_URL")
        .env_remove("CLOISON_SEAL_KEY")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.file("load.err")).expect("a file for the load's errors"))
        .spawn()
        .expect("start the load");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut acked = Vec::new();
    let started = Instant::now();
    while acked.len() < 3000 && started.elapsed() < Duration::from_secs(60) {
        match lines.next() {
            Some(Ok(line)) => acked.push(line.trim().parse::<u64>().expect("an index per line")),
            _ => break,
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    // Lines already written by the killed process are acknowledgements too.
    for line in lines.map_while(Result::ok) {
        acked.push(line.trim().parse().expect("an index per line"));
    }
    assert!(
        acked.len() >= 1000,
        "the load ran: {} acknowledgements; it said: {}",
        acked.len(),
        std::fs::read_to_string(dir.file("load.err")).unwrap_or_default()
    );

    let verified = dir.json(&["journal", "verify", "--json"]);
    assert_eq!(verified["ok"], true, "{verified}");
    let size = verified["verified"]["size"].as_u64().expect("size");
    let max = *acked.iter().max().expect("some");
    assert!(max < size, "acknowledged index {max} is beyond the journal's {size} entries");
    for index in acked.iter().step_by(97).chain([&max]) {
        let entry = dir.json(&["--as", "ethics-1:auditor", "journal", "entry", &index.to_string(), "--json"]);
        assert_eq!(entry["entry"]["action"], "bench.journal.append", "entry {index}");
    }
}

/// Exit codes as the README promises: every invalid input of a `journal` command exits 2 and
/// names its field, none is taken for our failure (1) or an unknown EAN (3).
#[test]
fn invalid_journal_inputs_exit_2_naming_the_field() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    let size = dir.json(&["journal", "head", "--json"])["size"].as_u64().expect("size");
    let beyond = (size + 1000).to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["journal", "proof", "consistency", "1", &beyond], "new:"),
        (vec!["journal", "proof", "consistency", "5", "3"], "old:"),
        (vec!["journal", "proof", "consistency", "x", "3"], "<OLD>"),
        (vec!["journal", "proof", "inclusion", "0", "--size", &beyond], "--size:"),
        (vec!["journal", "proof", "inclusion", &beyond], "index:"),
        (vec!["journal", "proof", "inclusion", "-3"], "-3"),
        (vec!["journal", "entry", &beyond], "index:"),
        (vec!["journal", "entry", "abc"], "<INDEX>"),
        (vec!["journal", "verify", "--public-key", "zz"], "--public-key"),
        (vec!["journal", "search", "--actor", "nu-x", "--from", "yesterday"], "--from"),
        (vec!["journal", "search", "--actor", "nu-x", "--limit", "0"], "--limit:"),
        (vec!["journal", "checkpoint", "--note", "--json"], "--json"),
    ];
    for (args, field) in cases {
        let out = dir.run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(field), "{args:?} names {field}: {stderr}");
    }
    let out = dir.run_env(&["journal", "head"], &[("CLOISON_JOURNAL_ORIGIN", "grid example")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("CLOISON_JOURNAL_ORIGIN"), "{stderr}");
}

/// `journal checkpoint --note` prints the head as a C2SP checkpoint under the configured
/// origin, verifiable with the public key alone; the JSON forms keep working and carry the
/// signed time in microseconds.
#[test]
fn checkpoint_note_is_signed_under_the_configured_origin() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    let head = dir.json(&["journal", "head", "--json"]);
    let micros = head["time_micros"].as_i64().expect("time_micros is an integer");
    assert_eq!(head["time"], jiff::Timestamp::from_microsecond(micros).expect("in range").to_string());
    let key: [u8; 32] =
        hex::decode(head["public_key"].as_str().expect("key")).expect("hex").try_into().expect("32");
    let key = ed25519_dalek::VerifyingKey::from_bytes(&key).expect("a public key");

    let out = dir
        .run_env(&["journal", "checkpoint", "--note"], &[("CLOISON_JOURNAL_ORIGIN", "grid.example/cloison")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let note = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(note.starts_with("grid.example/cloison\n"), "{note}");
    let origin: journal::Origin = "grid.example/cloison".parse().expect("origin");
    let checkpoint = journal::open_note(&note, &origin, &key).expect("the note verifies");
    assert!(checkpoint.size >= head["size"].as_u64().expect("size"));
    assert!(
        journal::open_note(&note, &journal::Origin::default(), &key).is_err(),
        "signed under the configured origin, not the default"
    );

    let kept = dir.json(&["journal", "checkpoint", "--json"]);
    assert!(kept["time_micros"].as_i64().is_some(), "{kept}");
    assert!(kept["size"].as_u64() >= Some(checkpoint.size));
}

/// Where a rollback test's database lives, and how a DBA would back it up and restore it.
trait Backup {
    /// The `--db` of the live database.
    fn db(&self) -> String;
    /// Keeps a copy of the database as it is now.
    async fn back_up(&mut self);
    /// Puts the copy in service in place of the database; returns the `--db` naming it.
    async fn restore(&mut self) -> String;
}

/// An SQLite file, copied aside and copied back over the original, as a file backup is.
struct SqliteFile<'a>(&'a Workdir);

impl Backup for SqliteFile<'_> {
    fn db(&self) -> String {
        "cloison.sqlite".into()
    }

    async fn back_up(&mut self) {
        for suffix in ["", "-wal"] {
            let from = self.0.file(&format!("cloison.sqlite{suffix}"));
            if from.exists() {
                std::fs::copy(from, self.0.file(&format!("backup.sqlite{suffix}"))).expect("back up");
            }
        }
    }

    async fn restore(&mut self) -> String {
        for suffix in ["", "-wal", "-shm"] {
            let live = self.0.file(&format!("cloison.sqlite{suffix}"));
            if live.exists() {
                std::fs::remove_file(&live).expect("remove the live file");
            }
            let kept = self.0.file(&format!("backup.sqlite{suffix}"));
            if kept.exists() {
                std::fs::copy(kept, live).expect("restore");
            }
        }
        self.db()
    }
}

/// A PostgreSQL database, copied with `CREATE DATABASE … TEMPLATE`; the copy is then the one
/// in service.
struct PgCopy {
    live: PgDb,
    copy: Option<PgDb>,
}

impl Backup for PgCopy {
    fn db(&self) -> String {
        self.live.url.clone()
    }

    async fn back_up(&mut self) {
        self.copy = Some(self.live.copy().await);
    }

    async fn restore(&mut self) -> String {
        self.copy.as_ref().expect("backed up first").url.clone()
    }
}

fn size_of(dir: &Workdir, db: &str) -> u64 {
    dir.json(&["journal", "head", "--json", "--db", db])["size"].as_u64().expect("size")
}

/// Appends `n` entries, as any journaled work would.
fn grow(dir: &Workdir, db: &str, n: u64) {
    dir.ok(&["bench", "journal", "--writers", "1", "--entries", &n.to_string(), "--db", db]);
}

/// Saves `journal checkpoint --note` in `name`, as an auditor keeps one; returns its size.
fn save_note(dir: &Workdir, db: &str, name: &str) -> u64 {
    let note = dir.ok(&["journal", "checkpoint", "--note", "--db", db]);
    std::fs::write(dir.file(name), &note).expect("save the note");
    note.lines().nth(1).expect("size line").parse().expect("size")
}

/// `verify --against`: fails with `code`, saying each of `says`.
fn against_fails(dir: &Workdir, db: &str, note: &str, code: i32, says: &[&str]) {
    let out = dir.run(&["journal", "verify", "--against", note, "--db", db]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "--against {note}: {stderr}");
    for text in says {
        assert!(stderr.contains(text), "--against {note} should say {text:?}: {stderr}");
    }
}

/// Issue 21, item 4: a database rolled back to an earlier copy passes `journal verify` (the copy
/// agrees with its own heads) but not `journal verify --against` a checkpoint saved after the
/// copy was taken; a copy written to again is a fork; a note edited by one byte is refused as
/// input.
async fn rollback_is_caught(dir: &Workdir, database: &mut impl Backup) {
    let db = database.db();
    let early = save_note(dir, &db, "early.note");
    grow(dir, &db, 5);
    database.back_up().await;
    let copied = size_of(dir, &db);
    grow(dir, &db, 5);
    let later = save_note(dir, &db, "later.note");
    assert!(early < copied && copied < later, "{early} < {copied} < {later}");
    for note in ["early.note", "later.note"] {
        let verified = dir.json(&["journal", "verify", "--against", note, "--json", "--db", &db]);
        assert_eq!(verified["ok"], true, "{verified}");
        assert_eq!(
            verified["against"]["saved_size"].as_u64(),
            Some(if note == "early.note" { early } else { later })
        );
    }
    let text = dir.ok(&["journal", "verify", "--against", "later.note", "--db", &db]);
    assert!(text.contains("consistent with the checkpoint saved in later.note"), "{text}");

    let db = database.restore().await;
    assert_eq!(size_of(dir, &db), copied, "the earlier copy is in service");
    assert_eq!(dir.json(&["journal", "verify", "--json", "--db", &db])["ok"], true, "plain verify passes");
    let later_size = later.to_string();
    against_fails(dir, &db, "later.note", 1, &["rollback", "later.note", &later_size]);
    let out = dir.run(&["journal", "verify", "--against", "later.note", "--json", "--db", &db]);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on standard output");
    assert_eq!(answer["ok"], false, "{answer}");
    assert_eq!(answer["problem"], "rollback", "{answer}");
    assert_eq!(answer["saved_size"].as_u64(), Some(later), "{answer}");
    assert_eq!(
        dir.json(&["journal", "verify", "--against", "early.note", "--json", "--db", &db])["ok"],
        true
    );

    // Written to again past the saved size: other entries under the same indexes.
    grow(dir, &db, later - copied + 3);
    assert!(size_of(dir, &db) > later);
    assert_eq!(dir.json(&["journal", "verify", "--json", "--db", &db])["ok"], true, "plain verify passes");
    against_fails(dir, &db, "later.note", 1, &["fork", "later.note", &format!("first {later} entries")]);

    // The note itself must be this journal's, signed, unchanged: else input, named (exit 2).
    let note = std::fs::read_to_string(dir.file("early.note")).expect("read");
    let root_at = note.find('\n').expect("origin line") + 1;
    let root_at = root_at + note[root_at..].find('\n').expect("size line") + 1;
    let mut bytes = note.clone().into_bytes();
    bytes[root_at] = if bytes[root_at] == b'A' { b'B' } else { b'A' };
    std::fs::write(dir.file("altered.note"), &bytes).expect("write");
    against_fails(dir, &db, "altered.note", 2, &["altered.note", "does not verify"]);
    std::fs::write(dir.file("garbage.note"), "not a checkpoint\n").expect("write");
    against_fails(dir, &db, "garbage.note", 2, &["garbage.note", "blank line"]);
    against_fails(dir, &db, "missing.note", 2, &["missing.note", "cannot be read"]);
    let out = dir.run_env(
        &["journal", "verify", "--against", "early.note", "--db", &db],
        &[("CLOISON_JOURNAL_ORIGIN", "another.example/log")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a note of another origin: {stderr}");
    assert!(stderr.contains("early.note"), "{stderr}");
    let other_key = "22".repeat(32);
    let out =
        dir.run(&["journal", "verify", "--against", "early.note", "--public-key", &other_key, "--db", &db]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a note not signed by the key verified with: {stderr}");
    assert!(stderr.contains("early.note") && stderr.contains("no signature"), "{stderr}");
}

#[tokio::test]
async fn verify_against_a_saved_checkpoint_catches_a_rollback_on_sqlite() {
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5"]);
    rollback_is_caught(&dir, &mut SqliteFile(&dir)).await;
}

#[tokio::test]
async fn verify_against_a_saved_checkpoint_catches_a_rollback_on_postgres() {
    let Some(pg) = PgDb::create().await else {
        eprintln!("CLOISON_TEST_POSTGRES_URL is not set: the PostgreSQL run is in .ci/run");
        return;
    };
    let dir = Workdir::new();
    dir.ok(&["demo", "--no-serve", "--access-points", "5", "--db", &pg.url]);
    let mut database = PgCopy { live: pg, copy: None };
    rollback_is_caught(&dir, &mut database).await;
    database.live.drop_database().await;
    if let Some(copy) = database.copy {
        copy.drop_database().await;
    }
}
