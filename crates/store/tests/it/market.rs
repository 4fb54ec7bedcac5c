//! Market scenarios and message queues in SQL (R1, R2, R3, R7; I4, I5): a request judged by
//! the domain's rules against the point as the store reads it, the scenario and its messages
//! written and bound to their entries, each queue read by its recipient only, and every row
//! caught by verification when altered.

use domain::scenario::{
    self, Action, Config, Message, MessageKind, Recipient, Rejection, Request, ScenarioId, Status,
};
use domain::{Change, Occupancy, Period, Registration};
use jiff::civil::{Date, date};
use journal::{Entry, Hash};
use store::{Acknowledged, Command, Done, StoreError, VerifyError, WriteTx};

use crate::conformance;
use crate::harness::*;

/// The day requests are judged on; the fixture's records start before it.
const TODAY: Date = date(2023, 1, 10);

/// Judges one request against the stored point and writes what the rules accept: the
/// scenario in one entry, each message in one entry of its own carrying its body's digest.
struct Submit {
    request: Request,
}

/// What a submission did.
#[derive(Debug)]
enum Submitted {
    Accepted { public_id: String, messages: Vec<String> },
    Refused(Rejection),
}

fn recipient_text(r: &Recipient) -> String {
    match r {
        Recipient::Party(p) => p.to_string(),
        Recipient::Dso(service) => format!("dso:{}", serde_json::to_value(service).expect("service")),
    }
}

fn body(message: &Message) -> Vec<u8> {
    serde_json::to_vec(message).expect("message body")
}

impl Command for Submit {
    type Output = Submitted;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let view = tx.point_view(self.request.ean, None).await?;
        let id = tx.next_scenario_id().await?;
        let subjects = vec![self.request.ean.to_string(), self.request.initiator.to_string()];
        match scenario::submit(id, self.request, &view, &Config::default(), TODAY) {
            Err(rejection) => {
                let entry = tx.slot().fill(Entry {
                    action: "market.scenario.submit".into(),
                    subjects,
                    outcome: format!("refused:{}", rejection.code()),
                    ..template()
                });
                Ok(Done { output: Submitted::Refused(rejection), entries: vec![entry] })
            }
            Ok(accepted) => {
                let public_id = tx.insert_scenario(&accepted.scenario, hours(100)).await?;
                let mut entries = vec![tx.slot().fill(Entry {
                    action: "market.scenario.submit".into(),
                    subjects,
                    outcome: "ok".into(),
                    ..template()
                })];
                let mut messages = Vec::new();
                for message in scenario::messages(&accepted.scenario, scenario::Event::Accepted) {
                    let to = recipient_text(&message.recipient);
                    let bytes = body(&message);
                    let kind = serde_json::to_value(message.kind).expect("kind");
                    let kind = kind.get("message").and_then(|k| k.as_str()).expect("kind name").to_owned();
                    messages
                        .push(tx.insert_message(&to, accepted.scenario.id, &kind, &bytes, hours(100)).await?);
                    entries.push(tx.slot().fill(Entry {
                        action: "market.message.send".into(),
                        subjects: vec![to],
                        outcome: "ok".into(),
                        data_digest: Some(Hash::digest(&bytes)),
                        ..template()
                    }));
                }
                Ok(Done { output: Submitted::Accepted { public_id, messages }, entries })
            }
        }
    }
}

struct Ack {
    recipient: String,
    id: String,
}

impl Command for Ack {
    type Output = Acknowledged;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let done = tx.acknowledge(&self.recipient, &self.id, hours(101)).await?;
        let entry = tx.slot().fill(Entry {
            action: "market.message.ack".into(),
            subjects: vec![self.recipient],
            outcome: "ok".into(),
            ..template()
        });
        Ok(Done { output: done, entries: vec![entry] })
    }
}

async fn submit(db: &TestDb, request: Request) -> Submitted {
    db.store.submit(Submit { request }).await.expect("queued").wait().await.expect("committed").output
}

async fn ack(db: &TestDb, recipient: &str, id: &str) -> Acknowledged {
    let command = Ack { recipient: recipient.into(), id: id.into() };
    db.store.submit(command).await.expect("queued").wait().await.expect("committed").output
}

/// An access point occupied by nu-1 and supplied by sup-a since before `TODAY`; sup-b and
/// sup-c are other suppliers.
async fn fixture(db: &TestDb) -> domain::AccessPoint {
    let ap = access_point(1);
    let since = Period::new(hours(2), None).expect("period");
    apply(
        db,
        vec![
            Change::PutParty(supplier("sup-a", 541_234_500_001)),
            Change::PutParty(supplier("sup-b", 541_234_500_002)),
            Change::PutParty(supplier("sup-c", 541_234_500_003)),
            Change::PutParty(person("nu-1", "Ada Lovelace")),
            Change::PutAccessPoint(ap.clone()),
            Change::RecordOccupancy {
                occupancy: Occupancy {
                    ean: ap.ean,
                    network_user: id("nu-1"),
                    period: since,
                    shipping_address: address("Rue de l'Ange", 2),
                },
                supersedes: None,
            },
            Change::RecordRegistration {
                registration: Registration { ean: ap.ean, supplier: id("sup-a"), period: since },
                supersedes: None,
            },
        ],
    )
    .await
    .expect("the register is written");
    ap
}

fn request(ap: &domain::AccessPoint, initiator: &str, day: Date, action: Action) -> Request {
    Request { ean: ap.ean, energy: ap.energy, initiator: id(initiator), effective_day: day, action }
}

fn switch(ap: &domain::AccessPoint, initiator: &str) -> Request {
    request(ap, initiator, date(2023, 1, 20), Action::SupplierSwitch { customer: id("nu-1") })
}

async fn a_switch_is_stored_and_its_messages_reach_only_their_recipients(db: &TestDb) {
    let ap = fixture(db).await;
    let Submitted::Accepted { public_id, messages } = submit(db, switch(&ap, "sup-b")).await else {
        panic!("the switch is accepted")
    };
    let stored = db.store.scenario(&public_id).await.expect("read").expect("stored");
    assert_eq!(stored.scenario.status, Status::Accepted);
    assert_eq!(stored.scenario.id, ScenarioId(1));
    assert_eq!(stored.scenario.request, switch(&ap, "sup-b"), "the sealed request reads back whole");
    assert_eq!(stored.scenario.parties.losing_supplier, Some(id("sup-a")));
    assert_eq!(public_id.len(), 32, "a random id, not the counter: {public_id}");
    assert!(db.store.scenario("0").await.expect("read").is_none());

    let to_b = db.store.peek_messages("sup-b", 10).await.expect("peek");
    let to_a = db.store.peek_messages("sup-a", 10).await.expect("peek");
    let to_c = db.store.peek_messages("sup-c", 10).await.expect("peek");
    assert_eq!(to_b.len() + to_a.len(), messages.len());
    assert!(to_c.is_empty(), "a party the switch does not concern gets nothing (R2)");
    let kinds = |queue: &[store::StoredMessage]| queue.iter().map(|m| m.kind.clone()).collect::<Vec<_>>();
    assert_eq!(kinds(&to_b), ["accepted", "technical_data"]);
    assert_eq!(kinds(&to_a), ["point_lost"], "the losing supplier learns the loss and nothing more");
    let lost: Message = serde_json::from_slice(&to_a[0].body).expect("body");
    assert_eq!(lost.kind, MessageKind::PointLost);
    assert_eq!(lost.day, date(2023, 1, 20));

    // Each message is bound to an entry whose digest is the body's.
    for message in to_a.iter().chain(&to_b) {
        let decoded = db.store.journal_entry(message.entry).await.expect("entry").expect("exists").entry;
        assert_eq!(decoded.data_digest, Some(Hash::digest(&message.body)));
        assert_eq!(decoded.subjects, vec![message.recipient.clone()]);
    }

    // Another party's id finds nothing, the same nothing as an id that does not exist (I5).
    assert_eq!(ack(db, "sup-c", &to_a[0].id).await, Acknowledged::NoSuchMessage);
    assert_eq!(ack(db, "sup-a", "0123456789abcdef0123456789abcdef").await, Acknowledged::NoSuchMessage);
    assert_eq!(db.store.peek_messages("sup-a", 10).await.expect("peek").len(), 1, "still queued");
    assert_eq!(ack(db, "sup-a", &to_a[0].id).await, Acknowledged::Now);
    assert_eq!(ack(db, "sup-a", &to_a[0].id).await, Acknowledged::Before, "a retried ack changes nothing");
    assert!(db.store.peek_messages("sup-a", 10).await.expect("peek").is_empty());
    assert_eq!(db.store.peek_messages("sup-b", 1).await.expect("peek").len(), 1, "the bundle size holds");

    let verified = db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
    assert!(verified.rows >= 12, "scenario, status, messages and ack rows are bound: {}", verified.rows);
}
conformance!(
    a_switch_is_stored_and_its_messages_reach_only_their_recipients,
    a_switch_is_stored_and_its_messages_reach_only_their_recipients
);

/// Acknowledgements in any order: a peek answers exactly the unacknowledged messages, oldest
/// first, and the queue's mark only moves over what is all acknowledged.
async fn a_queue_read_out_of_order_answers_what_is_left(db: &TestDb) {
    let ap = fixture(db).await;
    assert!(matches!(submit(db, switch(&ap, "sup-b")).await, Submitted::Accepted { .. }));
    let queued = db.store.peek_messages("sup-b", 10).await.expect("peek");
    let ids: Vec<String> = queued.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), 2, "accepted and technical data");
    // The newer first: the older is still the oldest unacknowledged.
    assert_eq!(ack(db, "sup-b", &ids[1]).await, Acknowledged::Now);
    let left = db.store.peek_messages("sup-b", 10).await.expect("peek");
    assert_eq!(left.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), [ids[0].clone()]);
    assert_eq!(ack(db, "sup-b", &ids[0]).await, Acknowledged::Now);
    assert!(db.store.peek_messages("sup-b", 10).await.expect("peek").is_empty());
    // sup-a's queue is untouched by sup-b's mark.
    assert_eq!(db.store.peek_messages("sup-a", 10).await.expect("peek").len(), 1);
    // The marks are bound rows like the acknowledgements: the journal still verifies.
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
}
conformance!(a_queue_read_out_of_order_answers_what_is_left, a_queue_read_out_of_order_answers_what_is_left);

async fn a_stored_drop_masks_itself_as_an_end_of_contract(db: &TestDb) {
    let ap = fixture(db).await;
    let drop = request(&ap, "sup-a", date(2023, 2, 1), Action::Drop { customer: id("nu-1") });
    assert!(matches!(submit(db, drop).await, Submitted::Accepted { .. }), "sup-a drops its customer");
    let Submitted::Refused(masked) = submit(db, switch(&ap, "sup-b")).await else {
        panic!("a switch meets the drop in progress")
    };

    let other = TestDb::sqlite().await;
    let ap2 = fixture(&other).await;
    let eoc = request(&ap2, "sup-a", date(2023, 3, 20), Action::EndOfContract);
    assert!(matches!(submit(&other, eoc).await, Submitted::Accepted { .. }), "a genuine end of contract");
    let Submitted::Refused(genuine) = submit(&other, switch(&ap2, "sup-b")).await else {
        panic!("a switch meets the end of contract in progress")
    };
    other.finish().await;

    assert_eq!(masked.code(), "end_of_contract_in_progress", "R3");
    assert_eq!(masked, genuine, "the competitor cannot tell a drop from an end of contract (R3)");
    assert_eq!(masked.to_string(), genuine.to_string());
    assert!(db.store.peek_messages("sup-b", 10).await.expect("peek").is_empty(), "no message either");
}
conformance!(
    a_stored_drop_masks_itself_as_an_end_of_contract,
    a_stored_drop_masks_itself_as_an_end_of_contract
);

struct Remember {
    key: &'static str,
    digest: Vec<u8>,
}

impl Command for Remember {
    type Output = Option<Vec<u8>>;

    async fn run(self, tx: &mut WriteTx) -> Result<Done<Self::Output>, StoreError> {
        let first = tx.remembered("sup-b", self.key).await?;
        let output = match first {
            Some(first) if first.request_digest == self.digest => Some(first.answer),
            Some(_) => None,
            None => {
                tx.remember("sup-b", self.key, &self.digest, b"{\"first\":true}", hours(100)).await?;
                Some(b"{\"first\":true}".to_vec())
            }
        };
        let entry = tx.slot().fill(Entry {
            action: "market.scenario.submit".into(),
            outcome: "ok".into(),
            ..template()
        });
        Ok(Done { output, entries: vec![entry] })
    }
}

async fn an_idempotency_key_keeps_its_first_answer(db: &TestDb) {
    let run = |key: &'static str, digest: &[u8]| Remember { key, digest: digest.to_vec() };
    let first = db.store.submit(run("k1", b"one")).await.expect("q").wait().await.expect("c").output;
    let replay = db.store.submit(run("k1", b"one")).await.expect("q").wait().await.expect("c").output;
    let other = db.store.submit(run("k1", b"two")).await.expect("q").wait().await.expect("c").output;
    assert_eq!(first.as_deref(), Some(&b"{\"first\":true}"[..]));
    assert_eq!(replay, first, "a replay gets the first answer");
    assert_eq!(other, None, "the same key with another request is told apart");
    db.store.verify_journal(&db.store.journal_public_key(), |_| {}).await.expect("intact");
}
conformance!(an_idempotency_key_keeps_its_first_answer, an_idempotency_key_keeps_its_first_answer);

/// R7 against a hostile DBA: each market table's rows are bound like the register's. Every
/// case on a fresh database of `db`'s backend.
async fn tampering_with_the_market_is_named(db: &TestDb) {
    let postgres = db.sqlite_file.is_none();
    let cases: [(&str, &str, &str); 8] = [
        (
            "message body edited",
            "UPDATE messages SET body = {blob} WHERE id = '{first}'",
            "table messages, key {first}",
        ),
        (
            "message re-addressed",
            "UPDATE messages SET recipient = 'sup-c' WHERE id = '{first}'",
            "table messages, key {first}",
        ),
        (
            "message deleted",
            "DELETE FROM message_acks; DELETE FROM messages WHERE id = '{first}'",
            "table message",
        ),
        (
            "ack deleted",
            "DELETE FROM message_acks WHERE message_id = '{first}'",
            "table message_acks, key {first}",
        ),
        ("scenario day moved", "UPDATE scenarios SET effective_day = '2023-01-21'", "table scenarios, key 1"),
        ("queue mark moved", "UPDATE queue_marks SET mark = mark + 1000", "table queue_marks"),
        (
            "queue mark forged",
            "INSERT INTO queue_marks (recipient, mark, journal_seq) VALUES ('sup-a', 1000, NULL)",
            "table queue_marks",
        ),
        (
            "status rewound",
            "UPDATE scenario_statuses SET status = 'cancelled'",
            "table scenario_statuses, key 1:1",
        ),
    ];
    let mut failures = Vec::new();
    for (name, sql, names) in cases {
        let fresh =
            if postgres { TestDb::postgres().await.expect("configured") } else { TestDb::sqlite().await };
        let ap = fixture(&fresh).await;
        let Submitted::Accepted { messages, .. } = submit(&fresh, switch(&ap, "sup-b")).await else {
            panic!("accepted")
        };
        let first = &messages[0];
        assert_eq!(ack(&fresh, "sup-b", first).await, Acknowledged::Now);
        let blob = if postgres { "'\\x00'::bytea" } else { "X'00'" };
        let fill = |text: &str| text.replace("{first}", first).replace("{blob}", blob);
        let statements: Vec<String> = fill(sql).split("; ").map(String::from).collect();
        let names = fill(names);
        match crate::bound::tamper_and_verify(&fresh, name, &statements).await {
            Err(VerifyError::Fault(fault)) if fault.to_string().contains(&names) => {}
            other => failures.push(format!("{name}: expected a fault naming {names:?}, got {other:?}")),
        }
        fresh.finish().await;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
conformance!(tampering_with_the_market_is_named, tampering_with_the_market_is_named);

async fn market_tables_refuse_updates_and_deletes(db: &TestDb) {
    let ap = fixture(db).await;
    let Submitted::Accepted { messages, .. } = submit(db, switch(&ap, "sup-b")).await else {
        panic!("accepted")
    };
    for message in &messages {
        ack(db, "sup-b", message).await;
    }
    use sqlx::Connection;
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.expect("raw connection");
    for sql in [
        "UPDATE scenarios SET kind = 'drop'",
        "DELETE FROM scenario_statuses",
        "UPDATE messages SET recipient = 'sup-c'",
        "DELETE FROM messages",
        "UPDATE queue_marks SET mark = 0",
        "DELETE FROM queue_marks",
    ] {
        let refused = sqlx::query(sql).execute(&mut conn).await.expect_err(sql).to_string();
        assert!(refused.contains("append-only"), "{sql}: {refused}");
    }
}
conformance!(market_tables_refuse_updates_and_deletes, market_tables_refuse_updates_and_deletes);
