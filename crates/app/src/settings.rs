//! Installation settings: small values an installation keeps beside its data (which seed a
//! demo database was built from, and the like), read and written through the door.
//!
//! They live in the store's `meta` table, which also holds the store's own key checks
//! ([`store::STORE_META`]). Those are refused here by name: a setting that overwrote or
//! shadowed the seal key's check value would let a database be opened under another key. A
//! setting is written once, like every other record of the store (I4): a second write of the
//! same key is refused, so what a setting said cannot silently change.
//!
//! Both acts pass the gate (`ReadSetting`, `WriteSetting` on the installation) and are
//! journaled with a digest: of the answer read, of the value written. A write is a command of
//! the store's writer, so the value and its entry commit together (I1).

use policy::{Action, Resource};

use crate::gate::Ask;
use crate::write::PutSetting;
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

/// A settings act's question to the gate. A malformed key is left out of the subjects: it
/// may be anything a caller typed.
fn ask<'a>(action: Action, act: &'a str, key: &str) -> Ask<'a> {
    let subjects = if well_formed(key) { vec![format!("setting:{key}")] } else { Vec::new() };
    Ask::function(action, Resource::Installation, act, "installation settings").about(subjects)
}

impl Cloison {
    /// The value of the installation setting `key`, or `None` when it was never written.
    /// Decided and journaled at the gate before it is answered, with the digest of the answer;
    /// so is a refused key (one of the store's own names, or malformed).
    pub async fn setting(&self, actor: &Actor, key: &str) -> Result<Option<Vec<u8>>, AppError> {
        let ask = ask(Action::ReadSetting, "settings.read", key);
        let sent = self
            .read(actor, ask, |_| async move {
                refuse_key(key)?;
                Ok(self.store.meta(key).await?)
            })
            .await?;
        Ok(sent.into_view())
    }

    /// Writes the installation setting `key`, once: a key written before is refused
    /// (`AppError::Invalid`, a duplicate), and so are the store's own names, malformed keys
    /// and values over 64 KiB. Decided at the gate; the attempt is journaled, refused or not,
    /// with the digest of the value written.
    pub async fn put_setting(&self, actor: &Actor, key: &str, value: &[u8]) -> Result<(), AppError> {
        let ask = ask(Action::WriteSetting, "settings.write", key);
        self.write(actor, vec![ask], |template| async move {
            let checked = refuse_key(key).and_then(|()| match value.len() {
                len if len > MAX_VALUE_LEN => {
                    Err(invalid("value", format!("must be at most {MAX_VALUE_LEN} bytes, found {len}")))
                }
                _ => Ok(()),
            });
            if let Err(refused) = checked {
                // Refused before the store is asked: journaled here, with nothing written.
                let outcome = match &refused {
                    AppError::Invalid(e) => crate::write::refused(e),
                    _ => "error".to_owned(),
                };
                let entry = journal::Entry { outcome, ..template };
                self.store.append(vec![entry]).await.map_err(AppError::Internal)?;
                return Err(refused);
            }
            let command = PutSetting { template, key: key.to_owned(), value: value.to_vec() };
            Ok(self.store.submit(command).await?.wait().await?.output?)
        })
        .await
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
