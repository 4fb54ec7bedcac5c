//! Installation settings: small values an installation keeps beside its data (which seed a
//! demo database was built from, and the like), read and written through the door.
//!
//! They live in the store's `meta` table, which also holds the store's own key checks
//! ([`store::STORE_META`]). Those are refused here by name: a setting that overwrote or
//! shadowed the seal key's check value would let a database be opened under another key. A
//! setting is written once, like every other record of the store (I4): a second write of the
//! same key is refused, so what a setting said cannot silently change.
//!
//! Both acts are journaled with the digest of the value read or written. The write and its
//! entry are two steps, not one transaction: the store's writer runs register changes and
//! tokens only, and the entry is appended after the write and before the answer (I2).

use crate::{Actor, AppError, Cloison, StoreError};

/// The longest key: a name, not a document.
const MAX_KEY_LEN: usize = 64;

/// The largest value: settings are small, and `meta` is copied to every node of a sharded
/// PostgreSQL (a reference table).
const MAX_VALUE_LEN: usize = 64 * 1024;

fn invalid(field: &'static str, reason: String) -> AppError {
    AppError::Invalid(StoreError::Config { field, reason })
}

/// Whether `key` has the form of a setting's name: short, and plain enough to stand in the
/// journal as a subject.
fn well_formed(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// Why `key` cannot name an installation setting, if it cannot.
fn refuse_key(key: &str) -> Result<(), AppError> {
    if store::STORE_META.contains(&key) {
        return Err(invalid(
            "key",
            format!("{key:?} is kept by the store itself, not an installation setting"),
        ));
    }
    if !well_formed(key) {
        return Err(invalid(
            "key",
            format!("must be 1 to {MAX_KEY_LEN} lowercase letters, digits, '_', '.' or '-', found {key:?}"),
        ));
    }
    Ok(())
}

impl Cloison {
    /// The value of the installation setting `key`, or `None` when it was never written.
    /// The read is journaled before it is answered, with the digest of the value read; so is
    /// a refused key (one of the store's own names, or malformed).
    pub async fn setting(&self, actor: &Actor, key: &str) -> Result<Option<Vec<u8>>, AppError> {
        const ACTION: &str = "settings.read";
        if let Err(refused) = refuse_key(key) {
            self.journal_setting(actor, ACTION, key, "invalid", None).await?;
            return Err(refused);
        }
        let value = self.store.meta(key).await;
        let (outcome, digest) = match &value {
            Ok(Some(bytes)) => ("ok", Some(journal::Hash::digest(bytes))),
            Ok(None) => ("not_found", None),
            Err(e) => (e.code(), None),
        };
        self.journal_setting(actor, ACTION, key, outcome, digest).await?;
        Ok(value?)
    }

    /// Writes the installation setting `key`, once: a key written before is refused
    /// (`AppError::Invalid`, a duplicate), and so are the store's own names, malformed keys
    /// and values over 64 KiB. The attempt is journaled, refused or not, with the digest of
    /// the value written.
    pub async fn put_setting(&self, actor: &Actor, key: &str, value: &[u8]) -> Result<(), AppError> {
        const ACTION: &str = "settings.write";
        let checked = refuse_key(key).and_then(|()| match value.len() {
            len if len > MAX_VALUE_LEN => {
                Err(invalid("value", format!("must be at most {MAX_VALUE_LEN} bytes, found {len}")))
            }
            _ => Ok(()),
        });
        if let Err(refused) = checked {
            self.journal_setting(actor, ACTION, key, "invalid", None).await?;
            return Err(refused);
        }
        let written = self.store.put_meta(key, value).await.map_err(|e| match e {
            // The store names its table; the caller gave a key.
            StoreError::Duplicate { value, .. } => StoreError::Duplicate { field: "key", value },
            other => other,
        });
        let (outcome, digest) = match &written {
            Ok(()) => ("ok", Some(journal::Hash::digest(value))),
            Err(e) => (e.code(), None),
        };
        self.journal_setting(actor, ACTION, key, outcome, digest).await?;
        Ok(written?)
    }

    /// The entry of a settings act. A malformed key is left out of the subjects: it may be
    /// anything a caller typed.
    async fn journal_setting(
        &self,
        actor: &Actor,
        action: &str,
        key: &str,
        outcome: &str,
        digest: Option<journal::Hash>,
    ) -> Result<(), AppError> {
        let subjects = if well_formed(key) { vec![format!("setting:{key}")] } else { Vec::new() };
        let entry = self.entry(actor, action, subjects, "installation settings", outcome, digest);
        self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_own_names_and_malformed_keys_are_refused_naming_the_key() {
        for key in store::STORE_META.iter().copied().chain(["", "Demo", "demo seed", "a/b", &"k".repeat(65)])
        {
            match refuse_key(key) {
                Err(AppError::Invalid(StoreError::Config { field: "key", .. })) => {}
                other => panic!("{key:?}: {other:?}"),
            }
        }
        for key in ["demo_seed", "site.name", "k-1", &"k".repeat(64)] {
            assert!(refuse_key(key).is_ok(), "{key:?}");
        }
    }
}
