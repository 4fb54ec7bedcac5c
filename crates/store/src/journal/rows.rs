//! Decoding what the journal's tables store: hashes and signed heads, from sqlx and
//! rusqlite rows alike.

use journal::{Hash, SignedTreeHead, TreeHead};

use crate::local::Columns;
use crate::{StoreError, corrupt};

/// A stored hash, which must be 32 bytes.
pub(super) fn hash_from(bytes: Vec<u8>, what: &str) -> Result<Hash, StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map(Hash::from_bytes)
        .map_err(|_| corrupt(format!("{what} is not 32 bytes")))
}

/// A signed head from its row, read by sqlx or by rusqlite.
pub(super) fn signed_head_from(row: &impl Columns) -> Result<SignedTreeHead, StoreError> {
    let size = row.int("size")?;
    let signature = row.blob("signature")?;
    Ok(SignedTreeHead {
        head: TreeHead {
            size: u64::try_from(size).map_err(|_| corrupt("negative head size"))?,
            root: hash_from(row.blob("root")?, "head root")?,
            time_micros: row.int("time_us")?,
        },
        signature: <[u8; 64]>::try_from(signature.as_slice())
            .map_err(|_| corrupt("head signature is not 64 bytes"))?,
    })
}
