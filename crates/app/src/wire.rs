//! The journal's hashes as they go out: the signed head and the two proofs, one shape each for
//! the HTTP API and the CLI's `--json`.
//!
//! Auditors' scripts read both front ends, so the two must print the same thing. Written once
//! per front end, they had already drifted (the CLI's proofs carried a `proof` field the API's
//! did not, in another order). Each answer is a `Serialize` type here, built from what the
//! journal use cases return and serialized as it is; the field order is the declaration order.
//! They live in `app` rather than `api` so that the CLI needs no HTTP crate; the API's
//! `schema.rs` describes the same fields for the OpenAPI document, and the API's tests compare
//! the described properties with these keys, so the two cannot drift apart either.

use journal::{Hash, SignedTreeHead};
use serde::Serialize;

use crate::VerifyingKey;

/// The signed tree head with the key that verifies it: what a verifier needs to check proofs
/// and the signature without the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeadView {
    /// Entries in the journal.
    size: u64,
    /// The Merkle root of those entries.
    root: Hash,
    /// When it was signed, RFC 3339; empty for a corrupt time that prints as no date-time.
    time: String,
    /// The signed value itself: `time` drops trailing zeros of its fraction, so a verifier of
    /// the signature would otherwise have to parse it back to microseconds.
    time_micros: i64,
    /// The Ed25519 signature, hex.
    signature: String,
    /// The key that verifies it, hex.
    public_key: String,
}

impl HeadView {
    /// The answer for `head`, signed by the key `key` verifies.
    pub fn new(head: &SignedTreeHead, key: &VerifyingKey) -> HeadView {
        HeadView {
            size: head.head.size,
            root: head.head.root,
            // Only an instant that prints as an RFC 3339 date-time (`domain::instant`, the
            // rules the API's parameters follow); anything else shows empty rather than a
            // text no client could parse back.
            time: domain::instant::from_microsecond(head.head.time_micros)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            time_micros: head.head.time_micros,
            signature: hex::encode(head.signature),
            public_key: hex::encode(key.as_bytes()),
        }
    }
}

impl HeadView {
    /// The signed head this view shows, for a verifier holding only the view: `None` when
    /// its signature is not 64 bytes of hex.
    pub fn signed(&self) -> Option<SignedTreeHead> {
        let signature: [u8; 64] = hex::decode(&self.signature).ok()?.try_into().ok()?;
        Some(SignedTreeHead {
            head: journal::TreeHead { size: self.size, root: self.root, time_micros: self.time_micros },
            signature,
        })
    }
}

/// That entry `index` is in the tree of `size` entries whose root is `root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InclusionProofView {
    /// The entry proved.
    pub index: u64,
    /// The size of the tree it is proved in.
    pub size: u64,
    /// Sibling hashes, leaf first (RFC 9162, 2.1.3).
    pub hashes: Vec<Hash>,
    /// The root of that tree.
    pub root: Hash,
}

/// That the tree of `old` entries is a prefix of the tree of `new` entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsistencyProofView {
    /// The older size.
    pub old: u64,
    /// The newer size.
    pub new: u64,
    /// The proof's hashes (RFC 9162, 2.1.4).
    pub hashes: Vec<Hash>,
    /// The root of the older tree.
    pub old_root: Hash,
    /// The root of the newer tree.
    pub new_root: Hash,
}

#[cfg(test)]
mod tests {
    use super::*;
    use journal::TreeHead;

    fn head(time_micros: i64) -> (SignedTreeHead, VerifyingKey) {
        let key = crate::SigningKey::from_bytes(&[7; 32]);
        let head = TreeHead { size: 3, root: Hash::digest(b"root"), time_micros };
        (SignedTreeHead::sign(head, &key), key.verifying_key())
    }

    #[test]
    fn a_head_prints_its_fields_in_the_order_clients_have_read_them() {
        let (signed, key) = head(1_700_000_000_123_400);
        let json = serde_json::to_value(HeadView::new(&signed, &key)).expect("serializes");
        let keys: Vec<&str> = json.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, ["size", "root", "time", "time_micros", "signature", "public_key"]);
        assert_eq!(json["root"], Hash::digest(b"root").to_string());
        assert_eq!(json["time"], "2023-11-14T22:13:20.1234Z");
        assert_eq!(json["time_micros"], 1_700_000_000_123_400_i64);
        assert_eq!(json["signature"], hex::encode(signed.signature));
        assert_eq!(json["public_key"], hex::encode(key.as_bytes()));
    }

    #[test]
    fn a_time_that_is_no_date_time_prints_empty() {
        let (signed, key) = head(i64::MAX);
        let json = serde_json::to_value(HeadView::new(&signed, &key)).expect("serializes");
        assert_eq!(json["time"], "");
        assert_eq!(json["time_micros"], i64::MAX);
    }

    #[test]
    fn proofs_print_hashes_as_hex_in_their_fields_order() {
        let (a, b) = (Hash::digest(b"a"), Hash::digest(b"b"));
        let inclusion = InclusionProofView { index: 1, size: 2, hashes: vec![a], root: b };
        assert_eq!(
            serde_json::to_string(&inclusion).expect("serializes"),
            format!(r#"{{"index":1,"size":2,"hashes":["{a}"],"root":"{b}"}}"#)
        );
        let consistency = ConsistencyProofView { old: 1, new: 2, hashes: vec![b], old_root: a, new_root: b };
        assert_eq!(
            serde_json::to_string(&consistency).expect("serializes"),
            format!(r#"{{"old":1,"new":2,"hashes":["{b}"],"old_root":"{a}","new_root":"{b}"}}"#)
        );
    }
}
