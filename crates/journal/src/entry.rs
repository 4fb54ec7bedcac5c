//! Journal entries and their canonical binary encoding.
//!
//! An entry records one access: who (actor), did what (action), to what
//! (subjects), why (purpose), whether the policy allowed it and which policies
//! decided, what came of it (outcome) and a digest of any data sent. The
//! Merkle leaf is the hash of the encoding, so the encoding must be
//! deterministic — one entry, one byte string — and stable for as long as the
//! journal is kept: it is versioned by its first byte, and a new layout gets a
//! new version rather than a change to this one.
//!
//! The encoding contains only what the caller put in the entry: no clock, no
//! host name, no padding. The caller is responsible for not putting personal
//! data in it (subjects are identifiers such as EANs and party ids, and data
//! sent is recorded by its SHA-256 digest, never in clear).
//!
//! # Layout, version 2 (version 1 without the last two fields)
//!
//! Integers are big-endian. A *string* is a u32 byte length followed by that
//! many bytes of UTF-8. A *list* is a u32 item count followed by the items.
//!
//! | field             | encoding                                     |
//! |-------------------|----------------------------------------------|
//! | version           | u8, `0x02` (`0x01`: entries written before salts) |
//! | `sequence`        | u64                                          |
//! | `time_micros`     | i64, microseconds since the Unix epoch, UTC  |
//! | `actor.party_id`  | string                                       |
//! | `actor.role`      | string                                       |
//! | `actor.session`   | string                                       |
//! | `action`          | string                                       |
//! | `subjects`        | list of strings                              |
//! | `purpose`         | string                                       |
//! | `decision.allowed`| u8, `0x00` false or `0x01` true              |
//! | `decision.policies` | list of strings                            |
//! | `outcome`         | string                                       |
//! | `data_digest`     | u8 `0x00` (none), or `0x01` then 32 bytes    |
//! | `salt`            | 16 bytes (version 2 only)                    |
//! | `rows`            | list of: string table, string key, 32 bytes (version 2 only) |
//!
//! The **salt** is 128 random bits drawn by the writer. Inclusion proofs are public and hand
//! out neighbouring leaf hashes, so every leaf hash is public; without a salt, an entry whose
//! fields can all be guessed (a supplier, an EAN, a period, a rough time) could be confirmed
//! by hashing candidates until one matches its leaf (R2). With one, a leaf hash confirms
//! nothing. Version 1 entries, written before, have none and stay valid.
//!
//! The **rows** bind the business rows the entry's act wrote: for each, the table, the row's
//! key and the SHA-256 of the salt and the row's canonical encoding (the store defines the
//! encoding, table by table). A verifier that recomputes each row's digest from the database
//! finds any row edited, deleted or slipped in behind the journal's back; the salt keeps the
//! digests from confirming guesses too. Rows are listed sorted by table, then key.
//!
//! Decoding rejects anything else: an unknown version, a length or count
//! running past the end, invalid UTF-8, a flag other than 0 or 1, and trailing
//! bytes. Length prefixes were preferred to separators (no escaping, no
//! ambiguity) and to a general format such as CBOR or protobuf, whose encoders
//! are not required to be canonical.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::hash::Hash;

/// The current encoding version of [`Entry`]: what every new entry is written as.
pub const ENTRY_VERSION: u8 = 2;
/// The first encoding version, without salt or rows: still read, never written by the writer.
pub const ENTRY_VERSION_1: u8 = 1;

/// 128 random bits inside an entry's leaf bytes, so that a public leaf hash confirms no guess
/// of the entry's fields (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Salt(pub [u8; 16]);

impl From<Salt> for String {
    fn from(salt: Salt) -> String {
        hex::encode(salt.0)
    }
}

impl TryFrom<String> for Salt {
    type Error = String;
    fn try_from(text: String) -> Result<Salt, String> {
        hex::decode(&text)
            .ok()
            .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
            .map(Salt)
            .ok_or_else(|| format!("a salt is 32 hexadecimal digits, found {text:?}"))
    }
}

/// A business row an entry's act wrote, bound to the entry by its digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BoundRow {
    /// The table, e.g. `occupancies`.
    pub table: String,
    /// The row's key in that table, as text (e.g. `17`, or `541448820000012345:2`).
    pub key: String,
    /// SHA-256 of the entry's salt and the row's canonical encoding.
    pub digest: Hash,
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// Identifier of the party (staff member, supplier GLN, customer id).
    pub party_id: String,
    /// Role under which the party acted.
    pub role: String,
    /// Request or session identifier, to group the entries of one request.
    pub session: String,
}

/// What the policy decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the action was allowed.
    pub allowed: bool,
    /// Identifiers of the policies that decided.
    pub policies: Vec<String>,
}

/// One journal entry: the leaf of the Merkle tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the journal, from 0; equals the leaf index.
    pub sequence: u64,
    /// When the action happened, microseconds since the Unix epoch, UTC.
    pub time_micros: i64,
    /// Who acted.
    pub actor: Actor,
    /// What was done, e.g. `register.show` or `register.occupancy.record`.
    pub action: String,
    /// Identifiers the action concerned (EANs, party ids), in the caller's order.
    pub subjects: Vec<String>,
    /// Why, e.g. the market process or the request reason.
    pub purpose: String,
    /// What the policy decided.
    pub decision: Decision,
    /// What came of it, e.g. `ok`, `not_found`, `invalid_input`.
    pub outcome: String,
    /// SHA-256 of the data sent, if any; never the data itself.
    pub data_digest: Option<Hash>,
    /// Random bits that make the leaf hash unguessable; `None` only for version 1 entries
    /// (the writer draws one for every entry it appends).
    pub salt: Option<Salt>,
    /// The rows the act wrote, sorted by table then key; empty for reads and refusals.
    pub rows: Vec<BoundRow>,
}

/// Why an entry cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// Rows are bound through the salt, so an entry without one cannot carry any.
    #[error("an entry with rows must have a salt")]
    RowsWithoutSalt,
    /// A string is longer than its u32 length prefix can say.
    #[error("{field} is longer than 4 GiB")]
    TooLong {
        /// The field, e.g. `purpose` or `subjects[]`.
        field: &'static str,
    },
    /// A list has more items than its u32 count can say.
    #[error("{field} has more than 2^32 - 1 items")]
    TooMany {
        /// The field, e.g. `subjects`.
        field: &'static str,
    },
}

/// Why bytes are not the encoding of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// No bytes at all.
    #[error("entry encoding is empty")]
    Empty,
    /// The first byte names a version this code does not know.
    #[error("unknown entry encoding version {version}")]
    UnknownVersion {
        /// The version byte received.
        version: u8,
    },
    /// The bytes end inside a fixed-size field or a length prefix.
    #[error("entry encoding ends inside {field}")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// A length or count announces more than the bytes that remain.
    #[error("{field} announces {announced} but only {remaining} bytes remain")]
    LengthOutOfBounds {
        /// The field being read.
        field: &'static str,
        /// The announced length (bytes) or count (items).
        announced: u32,
        /// Bytes left after the prefix.
        remaining: usize,
    },
    /// A string field is not valid UTF-8.
    #[error("{field} is not valid UTF-8")]
    InvalidUtf8 {
        /// The field being read.
        field: &'static str,
    },
    /// A boolean or presence flag is neither 0 nor 1.
    #[error("{field} flag must be 0 or 1, got {value}")]
    InvalidFlag {
        /// The field being read.
        field: &'static str,
        /// The byte received.
        value: u8,
    },
    /// Bytes remain after the last field.
    #[error("{count} trailing bytes after the entry")]
    TrailingBytes {
        /// How many bytes remain.
        count: usize,
    },
}

/// Where an encoding is written: a buffer, or straight into a hasher so that
/// hashing an entry allocates nothing.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

fn put_str(sink: &mut impl Sink, field: &'static str, text: &str) -> Result<(), EncodeError> {
    let length = u32::try_from(text.len()).map_err(|_| EncodeError::TooLong { field })?;
    sink.put(&length.to_be_bytes());
    sink.put(text.as_bytes());
    Ok(())
}

fn put_list(
    sink: &mut impl Sink,
    field: &'static str,
    item_field: &'static str,
    items: &[String],
) -> Result<(), EncodeError> {
    let count = u32::try_from(items.len()).map_err(|_| EncodeError::TooMany { field })?;
    sink.put(&count.to_be_bytes());
    for item in items {
        put_str(sink, item_field, item)?;
    }
    Ok(())
}

impl Entry {
    fn write(&self, sink: &mut impl Sink) -> Result<(), EncodeError> {
        if self.salt.is_none() && !self.rows.is_empty() {
            return Err(EncodeError::RowsWithoutSalt);
        }
        sink.put(&[if self.salt.is_some() { ENTRY_VERSION } else { ENTRY_VERSION_1 }]);
        sink.put(&self.sequence.to_be_bytes());
        sink.put(&self.time_micros.to_be_bytes());
        put_str(sink, "actor.party_id", &self.actor.party_id)?;
        put_str(sink, "actor.role", &self.actor.role)?;
        put_str(sink, "actor.session", &self.actor.session)?;
        put_str(sink, "action", &self.action)?;
        put_list(sink, "subjects", "subjects[]", &self.subjects)?;
        put_str(sink, "purpose", &self.purpose)?;
        sink.put(&[u8::from(self.decision.allowed)]);
        put_list(sink, "decision.policies", "decision.policies[]", &self.decision.policies)?;
        put_str(sink, "outcome", &self.outcome)?;
        match &self.data_digest {
            None => sink.put(&[0]),
            Some(digest) => {
                sink.put(&[1]);
                sink.put(digest.as_bytes());
            }
        }
        if let Some(salt) = &self.salt {
            sink.put(&salt.0);
            let count = u32::try_from(self.rows.len()).map_err(|_| EncodeError::TooMany { field: "rows" })?;
            sink.put(&count.to_be_bytes());
            for row in &self.rows {
                put_str(sink, "rows[].table", &row.table)?;
                put_str(sink, "rows[].key", &row.key)?;
                sink.put(row.digest.as_bytes());
            }
        }
        Ok(())
    }

    /// The canonical encoding (see the module documentation).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut bytes = Vec::with_capacity(self.encoded_len_hint());
        self.write(&mut bytes)?;
        Ok(bytes)
    }

    /// The Merkle leaf hash of this entry: `leaf_hash(self.encode())`, computed
    /// without building the encoding in memory.
    pub fn leaf_hash(&self) -> Result<Hash, EncodeError> {
        let mut hasher = Sha256::new();
        hasher.update([0x00]);
        self.write(&mut hasher)?;
        Ok(Hash::from_bytes(hasher.finalize().into()))
    }

    /// Decodes a canonical encoding, rejecting anything that is not exactly one.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut reader = Reader::open(bytes)?;
        let mut entry = Entry {
            sequence: u64::from_be_bytes(reader.array("sequence")?),
            time_micros: i64::from_be_bytes(reader.array("time_micros")?),
            actor: Actor {
                party_id: reader.string("actor.party_id")?,
                role: reader.string("actor.role")?,
                session: reader.string("actor.session")?,
            },
            action: reader.string("action")?,
            subjects: reader.list("subjects", "subjects[]")?,
            purpose: reader.string("purpose")?,
            decision: Decision {
                allowed: reader.flag("decision.allowed")?,
                policies: reader.list("decision.policies", "decision.policies[]")?,
            },
            outcome: reader.string("outcome")?,
            data_digest: if reader.flag("data_digest")? {
                Some(Hash::from_bytes(reader.array("data_digest")?))
            } else {
                None
            },
            salt: None,
            rows: Vec::new(),
        };
        if reader.version == ENTRY_VERSION {
            entry.salt = Some(Salt(reader.array("salt")?));
            entry.rows = reader
                .rows()?
                .into_iter()
                .map(|(table, key, digest)| BoundRow {
                    table: table.to_owned(),
                    key: key.to_owned(),
                    digest: Hash::from_bytes(digest),
                })
                .collect();
        }
        reader.finish()?;
        Ok(entry)
    }

    /// What a verifier compares with the database, borrowed from the encoding after checking
    /// the whole of it exactly as [`Entry::decode`] does (same errors, in the same order):
    /// the fields the searchable columns and the subject index repeat, and the bound rows.
    pub fn view(bytes: &[u8]) -> Result<EntryView<'_>, DecodeError> {
        let mut reader = Reader::open(bytes)?;
        let sequence = u64::from_be_bytes(reader.array("sequence")?);
        let time_micros = i64::from_be_bytes(reader.array("time_micros")?);
        let party_id = reader.text("actor.party_id")?;
        reader.text("actor.role")?;
        reader.text("actor.session")?;
        let action = reader.text("action")?;
        let count = reader.count("subjects")?;
        let mut subjects = Vec::with_capacity(count);
        for _ in 0..count {
            subjects.push(reader.text("subjects[]")?);
        }
        reader.text("purpose")?;
        reader.flag("decision.allowed")?;
        reader.skip_list("decision.policies", "decision.policies[]")?;
        reader.text("outcome")?;
        if reader.flag("data_digest")? {
            reader.take(32, "data_digest")?;
        }
        let (salt, rows) = if reader.version == ENTRY_VERSION {
            (Some(Salt(reader.array("salt")?)), reader.rows()?)
        } else {
            (None, Vec::new())
        };
        reader.finish()?;
        Ok(EntryView { sequence, time_micros, party_id, action, subjects, salt, rows })
    }

    fn encoded_len_hint(&self) -> usize {
        let strings = [
            &self.actor.party_id,
            &self.actor.role,
            &self.actor.session,
            &self.action,
            &self.purpose,
            &self.outcome,
        ];
        let lists = self.subjects.iter().chain(&self.decision.policies);
        1 + 8
            + 8
            + strings.iter().map(|s| 4 + s.len()).sum::<usize>()
            + 4
            + 4
            + lists.map(|s| 4 + s.len()).sum::<usize>()
            + 1
            + 1
            + 32
            + if self.salt.is_some() {
                16 + 4 + self.rows.iter().map(|r| 8 + r.table.len() + r.key.len() + 32).sum::<usize>()
            } else {
                0
            }
    }
}

/// An entry's fields that the database repeats beside it, and its bound rows, borrowed from
/// its encoding ([`Entry::view`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryView<'a> {
    /// The sequence number the entry claims.
    pub sequence: u64,
    /// Its time, microseconds since the Unix epoch.
    pub time_micros: i64,
    /// The acting party (the searchable `actor` column).
    pub party_id: &'a str,
    /// The action (the searchable `action` column).
    pub action: &'a str,
    /// The subjects, in the entry's order (the subject index holds each once).
    pub subjects: Vec<&'a str>,
    /// The salt, for version 2 entries.
    pub salt: Option<Salt>,
    /// The bound rows: table, key, digest.
    pub rows: Vec<RowRef<'a>>,
}

/// A bound row as an encoding holds it: table, key, digest.
pub type RowRef<'a> = (&'a str, &'a str, [u8; 32]);

/// A cursor over the bytes being decoded.
struct Reader<'a> {
    rest: &'a [u8],
    version: u8,
}

impl<'a> Reader<'a> {
    /// A reader past the version byte of an encoding this code knows.
    fn open(bytes: &'a [u8]) -> Result<Reader<'a>, DecodeError> {
        let version = *bytes.first().ok_or(DecodeError::Empty)?;
        if version != ENTRY_VERSION && version != ENTRY_VERSION_1 {
            return Err(DecodeError::UnknownVersion { version });
        }
        Ok(Reader { rest: &bytes[1..], version })
    }

    /// Refuses anything left after the last field.
    fn finish(&self) -> Result<(), DecodeError> {
        if self.rest.is_empty() { Ok(()) } else { Err(DecodeError::TrailingBytes { count: self.rest.len() }) }
    }

    fn take(&mut self, length: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < length {
            return Err(DecodeError::Truncated { field });
        }
        let (taken, rest) = self.rest.split_at(length);
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, field)?);
        Ok(array)
    }

    fn flag(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.array::<1>(field)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(DecodeError::InvalidFlag { field, value }),
        }
    }

    fn prefix(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn text(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let announced = self.prefix(field)?;
        let length = usize::try_from(announced).unwrap_or(usize::MAX);
        if length > self.rest.len() {
            return Err(DecodeError::LengthOutOfBounds { field, announced, remaining: self.rest.len() });
        }
        let bytes = self.take(length, field)?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { field })
    }

    fn string(&mut self, field: &'static str) -> Result<String, DecodeError> {
        self.text(field).map(str::to_owned)
    }

    /// The item count of a list, once it is known to fit in what is left.
    fn count(&mut self, field: &'static str) -> Result<usize, DecodeError> {
        let announced = self.prefix(field)?;
        let count = usize::try_from(announced).unwrap_or(usize::MAX);
        // Each item takes at least its 4-byte length: a count that cannot fit
        // is rejected before anything is allocated for it.
        if count > self.rest.len() / 4 {
            return Err(DecodeError::LengthOutOfBounds { field, announced, remaining: self.rest.len() });
        }
        Ok(count)
    }

    fn list(&mut self, field: &'static str, item_field: &'static str) -> Result<Vec<String>, DecodeError> {
        let count = self.count(field)?;
        (0..count).map(|_| self.string(item_field)).collect()
    }

    /// The bound rows of a version 2 entry.
    fn rows(&mut self) -> Result<Vec<RowRef<'a>>, DecodeError> {
        let count = self.count("rows")?;
        let mut rows = Vec::with_capacity(count);
        for _ in 0..count {
            let table = self.text("rows[].table")?;
            let key = self.text("rows[].key")?;
            rows.push((table, key, self.array("rows[].digest")?));
        }
        Ok(rows)
    }

    fn skip_list(&mut self, field: &'static str, item_field: &'static str) -> Result<(), DecodeError> {
        for _ in 0..self.count(field)? {
            self.text(item_field)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;

    fn sample() -> Entry {
        Entry {
            sequence: 42,
            time_micros: 1_700_000_000_123_456,
            actor: Actor {
                party_id: "5414567000001".into(),
                role: "supplier".into(),
                session: "req-7f3a".into(),
            },
            action: "register.show".into(),
            subjects: vec!["541448820000012345".into()],
            purpose: "switch".into(),
            decision: Decision { allowed: true, policies: vec!["supplier-scope".into()] },
            outcome: "ok".into(),
            data_digest: Some(Hash::digest(b"the data sent")),
            salt: None,
            rows: Vec::new(),
        }
    }

    fn salted() -> Entry {
        Entry {
            salt: Some(Salt([7; 16])),
            rows: vec![
                BoundRow { table: "occupancies".into(), key: "17".into(), digest: Hash::digest(b"row 17") },
                BoundRow { table: "registrations".into(), key: "4".into(), digest: Hash::digest(b"row 4") },
            ],
            ..sample()
        }
    }

    /// Offset of the `decision.allowed` byte in `sample()`'s encoding.
    fn allowed_offset(entry: &Entry) -> usize {
        1 + 8
            + 8
            + [&entry.actor.party_id, &entry.actor.role, &entry.actor.session, &entry.action]
                .iter()
                .map(|s| 4 + s.len())
                .sum::<usize>()
            + 4
            + entry.subjects.iter().map(|s| 4 + s.len()).sum::<usize>()
            + 4
            + entry.purpose.len()
    }

    #[test]
    fn encoding_is_the_documented_layout() {
        let entry = sample();
        let bytes = entry.encode().unwrap();
        assert_eq!(bytes[0], ENTRY_VERSION_1);
        assert_eq!(&bytes[1..9], &42u64.to_be_bytes());
        assert_eq!(&bytes[9..17], &1_700_000_000_123_456i64.to_be_bytes());
        assert_eq!(&bytes[17..21], &13u32.to_be_bytes());
        assert_eq!(&bytes[21..34], b"5414567000001");
        assert_eq!(bytes[allowed_offset(&entry)], 1);
        assert_eq!(&bytes[bytes.len() - 33..bytes.len() - 32], &[1]);
        assert_eq!(&bytes[bytes.len() - 32..], entry.data_digest.unwrap().as_bytes());
        assert_eq!(bytes.len(), entry.encoded_len_hint());
        assert_eq!(entry.leaf_hash().unwrap(), leaf_hash(&bytes));
    }

    #[test]
    fn version_2_appends_the_salt_and_the_rows() {
        let entry = salted();
        let bytes = entry.encode().unwrap();
        let v1 = sample().encode().unwrap();
        assert_eq!(bytes[0], ENTRY_VERSION);
        assert_eq!(&bytes[1..v1.len()], &v1[1..]);
        let tail = &bytes[v1.len()..];
        assert_eq!(&tail[..16], &[7; 16]);
        assert_eq!(&tail[16..20], &2u32.to_be_bytes());
        assert_eq!(&tail[20..24], &11u32.to_be_bytes());
        assert_eq!(&tail[24..35], b"occupancies");
        assert_eq!(&tail[35..39], &2u32.to_be_bytes());
        assert_eq!(&tail[39..41], b"17");
        assert_eq!(&tail[41..73], Hash::digest(b"row 17").as_bytes());
        assert_eq!(bytes.len(), entry.encoded_len_hint());
        assert_eq!(Entry::decode(&bytes), Ok(entry.clone()));
        assert_eq!(entry.leaf_hash().unwrap(), leaf_hash(&bytes));
    }

    #[test]
    fn the_same_fields_with_two_salts_give_two_leaves() {
        let one = Entry { salt: Some(Salt([1; 16])), ..sample() };
        let two = Entry { salt: Some(Salt([2; 16])), ..sample() };
        assert_ne!(one.leaf_hash().unwrap(), two.leaf_hash().unwrap());
    }

    #[test]
    fn rows_need_a_salt() {
        let entry = Entry { salt: None, ..salted() };
        assert_eq!(entry.encode(), Err(EncodeError::RowsWithoutSalt));
    }

    #[test]
    fn the_view_borrows_what_the_database_repeats() {
        let entry = salted();
        let bytes = entry.encode().unwrap();
        let view = Entry::view(&bytes).unwrap();
        assert_eq!(view.sequence, 42);
        assert_eq!(view.time_micros, entry.time_micros);
        assert_eq!(view.party_id, "5414567000001");
        assert_eq!(view.action, "register.show");
        assert_eq!(view.subjects, vec!["541448820000012345"]);
        assert_eq!(view.salt, Some(Salt([7; 16])));
        assert_eq!(view.rows[1], ("registrations", "4", *Hash::digest(b"row 4").as_bytes()));
        let v1 = sample().encode().unwrap();
        assert_eq!(Entry::view(&v1).unwrap().salt, None);
    }

    #[test]
    fn decoding_rejects_malformed_input() {
        let entry = sample();
        let bytes = entry.encode().unwrap();
        let check = |bytes: &[u8], expected: DecodeError| {
            assert_eq!(Entry::decode(bytes), Err(expected));
        };
        check(&[], DecodeError::Empty);
        check(&[3], DecodeError::UnknownVersion { version: 3 });
        check(&[1, 0, 0], DecodeError::Truncated { field: "sequence" });

        let mut trailing = bytes.clone();
        trailing.push(0);
        check(&trailing, DecodeError::TrailingBytes { count: 1 });

        let mut long = bytes.clone();
        long[17..21].copy_from_slice(&u32::MAX.to_be_bytes());
        check(
            &long,
            DecodeError::LengthOutOfBounds {
                field: "actor.party_id",
                announced: u32::MAX,
                remaining: bytes.len() - 21,
            },
        );

        let mut not_utf8 = bytes.clone();
        not_utf8[21] = 0xff;
        check(&not_utf8, DecodeError::InvalidUtf8 { field: "actor.party_id" });

        let mut bad_flag = bytes.clone();
        bad_flag[allowed_offset(&entry)] = 2;
        check(&bad_flag, DecodeError::InvalidFlag { field: "decision.allowed", value: 2 });

        let mut bad_digest_flag = bytes.clone();
        let digest_flag = bytes.len() - 33;
        bad_digest_flag[digest_flag] = 7;
        check(&bad_digest_flag, DecodeError::InvalidFlag { field: "data_digest", value: 7 });
    }

    #[test]
    fn huge_counts_are_refused_before_allocating() {
        let mut entry = sample();
        entry.subjects.clear();
        let mut bytes = entry.encode().unwrap();
        let count_at = allowed_offset(&entry) - 4 - entry.purpose.len() - 4;
        bytes[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            Entry::decode(&bytes),
            Err(DecodeError::LengthOutOfBounds { field: "subjects", .. })
        ));
    }

    #[test]
    fn no_digest_is_one_zero_byte() {
        let mut entry = sample();
        entry.data_digest = None;
        let bytes = entry.encode().unwrap();
        assert_eq!(bytes.last(), Some(&0));
        assert_eq!(Entry::decode(&bytes), Ok(entry));
    }

    #[test]
    fn error_messages_name_the_field() {
        let error = DecodeError::InvalidUtf8 { field: "purpose" };
        assert_eq!(error.to_string(), "purpose is not valid UTF-8");
    }

    fn arbitrary_entry() -> impl Strategy<Value = Entry> {
        let text = || any::<String>();
        let actor =
            (text(), text(), text()).prop_map(|(party_id, role, session)| Actor { party_id, role, session });
        let decision = (any::<bool>(), prop::collection::vec(text(), 0..4))
            .prop_map(|(allowed, policies)| Decision { allowed, policies });
        (
            (any::<u64>(), any::<i64>(), actor, text()),
            (
                prop::collection::vec(text(), 0..4),
                text(),
                decision,
                text(),
                prop::option::of(any::<[u8; 32]>()),
            ),
            prop::option::of((
                any::<[u8; 16]>(),
                prop::collection::vec((text(), text(), any::<[u8; 32]>()), 0..3),
            )),
        )
            .prop_map(
                |(
                    (sequence, time_micros, actor, action),
                    (subjects, purpose, decision, outcome, digest),
                    salted,
                )| {
                    let (salt, rows) = match salted {
                        Some((salt, rows)) => (
                            Some(Salt(salt)),
                            rows.into_iter()
                                .map(|(table, key, digest)| BoundRow {
                                    table,
                                    key,
                                    digest: Hash::from_bytes(digest),
                                })
                                .collect(),
                        ),
                        None => (None, Vec::new()),
                    };
                    Entry {
                        salt,
                        rows,
                        sequence,
                        time_micros,
                        actor,
                        action,
                        subjects,
                        purpose,
                        decision,
                        outcome,
                        data_digest: digest.map(Hash::from_bytes),
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn encode_decode_round_trips(entry in arbitrary_entry()) {
            let bytes = entry.encode().unwrap();
            prop_assert_eq!(Entry::decode(&bytes), Ok(entry.clone()));
            prop_assert_eq!(entry.leaf_hash().unwrap(), leaf_hash(&bytes));
            // Deterministic: encoding the decoded entry gives the same bytes.
            prop_assert_eq!(Entry::decode(&bytes).unwrap().encode().unwrap(), bytes);
        }

        #[test]
        fn checking_agrees_with_decoding(
            entry in arbitrary_entry(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..4),
            cut in any::<prop::sample::Index>(),
            extra in proptest::collection::vec(any::<u8>(), 0..3),
        ) {
            let mut bytes = entry.encode().unwrap();
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let keep = bytes.len() - cut.index(bytes.len() / 8 + 1);
            bytes.truncate(keep);
            bytes.extend(extra);
            let decoded = Entry::decode(&bytes).map(|e| e.sequence);
            let viewed = Entry::view(&bytes).map(|v| v.sequence);
            prop_assert_eq!(viewed.map_err(|e| e.to_string()), decoded.map_err(|e| e.to_string()));
        }

        #[test]
        fn every_strict_prefix_is_rejected(entry in arbitrary_entry()) {
            let bytes = entry.encode().unwrap();
            for length in 0..bytes.len() {
                prop_assert!(Entry::decode(&bytes[..length]).is_err(), "prefix of {} bytes", length);
            }
        }
    }
}
