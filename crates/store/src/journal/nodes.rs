//! Tree nodes as stored, and what is computed from them: roots, inclusion and consistency
//! proofs, and the writer's frontier, each from the O(log n) nodes it needs, fetched at once.

use std::collections::HashMap;

use journal::{Frontier, Hash, NodeSource, SignedTreeHead};
use sqlx::{AnyConnection, Row};

use super::heads::LATEST_SQL;
use super::rows::{hash_from, signed_head_from};
use crate::{Store, StoreError, corrupt};

/// The leaf whose append completes the perfect node (`level`, `index`).
pub(super) fn completing_leaf(level: u8, index: u64) -> u64 {
    ((index + 1) << level) - 1
}

/// Perfect nodes fetched ahead of a computation that needs them.
struct Fetched(HashMap<(u8, u64), Hash>);

/// Records which nodes a computation asks for, answering with placeholders: proofs and roots
/// ask for the same nodes whatever their values, so a dry run tells what to fetch.
struct Wanted(std::cell::RefCell<Vec<(u8, u64)>>);

/// Where a computation's nodes come from: the dry run or the fetched rows.
trait Nodes {
    fn node(&self, level: u8, index: u64) -> Option<Hash>;
}

impl Nodes for Wanted {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.0.borrow_mut().push((level, index));
        Some(Hash::from_bytes([0; 32]))
    }
}

impl Nodes for Fetched {
    fn node(&self, level: u8, index: u64) -> Option<Hash> {
        self.0.get(&(level, index)).copied()
    }
}

/// The journal crate's view of either source, so one closure serves both runs.
struct DynSource<'a>(&'a dyn Nodes);

/// A node the computation needed was not stored.
#[derive(Debug, thiserror::Error)]
#[error("journal node level {level} index {index} is missing")]
struct Missing {
    level: u8,
    index: u64,
}

impl NodeSource for DynSource<'_> {
    type Error = Missing;
    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, Missing> {
        self.0.node(level, index).ok_or(Missing { level, index })
    }
}

/// The nodes `compute` asks for, learnt from a dry run on placeholders.
fn wanted<T, E>(compute: &impl Fn(&DynSource<'_>) -> Result<T, E>) -> Vec<(u8, u64)> {
    let wanted = Wanted(Default::default());
    // The dry run's answer is meaningless; only the nodes it asked for matter.
    let _ = compute(&DynSource(&wanted));
    let mut needed = wanted.0.into_inner();
    needed.sort_unstable();
    needed.dedup();
    needed
}

/// Runs `compute` against the stored tree: a dry run to learn the nodes, one fetch, the
/// real run. O(log n) rows for any proof or root.
async fn with_nodes<T, E: std::fmt::Display>(
    conn: &mut AnyConnection,
    compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
) -> Result<T, StoreError> {
    let fetched = fetch_nodes(conn, &wanted(&compute)).await?;
    compute(&DynSource(&fetched)).map_err(|e| StoreError::Journal(e.to_string()))
}

/// [`with_nodes`] on a local SQLite connection, after checking `size` against the signed
/// head read on the same connection: one hold of one connection for the whole proof.
fn with_nodes_local<T, E: std::fmt::Display>(
    conn: &rusqlite::Connection,
    size: u64,
    compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
) -> Result<T, StoreError> {
    let head = {
        let mut statement = conn.prepare_cached(LATEST_SQL)?;
        let mut rows = statement.query([])?;
        let row = rows.next()?.ok_or_else(|| corrupt("the journal has no signed head"))?;
        signed_head_from(row)?
    };
    beyond_head(size, &head)?;
    let mut found = HashMap::new();
    let mut leaves = conn.prepare_cached("SELECT leaf_hash FROM journal_entries WHERE seq = ?1")?;
    let mut nodes = conn.prepare_cached("SELECT hash FROM journal_nodes WHERE leaf = ?1 AND level = ?2")?;
    for (level, index) in wanted(&compute) {
        let stored: Option<Vec<u8>> = if level == 0 {
            leaves.query([index as i64])?.next()?.map(|row| row.get(0)).transpose()?
        } else {
            let leaf = completing_leaf(level, index) as i64;
            nodes.query([leaf, i64::from(level)])?.next()?.map(|row| row.get(0)).transpose()?
        };
        if let Some(bytes) = stored {
            found.insert((level, index), hash_from(bytes, "node hash")?);
        }
    }
    compute(&DynSource(&Fetched(found))).map_err(|e| StoreError::Journal(e.to_string()))
}

fn beyond_head(size: u64, head: &SignedTreeHead) -> Result<(), StoreError> {
    if size > head.head.size {
        return Err(StoreError::Journal(format!(
            "size {size} is beyond the journal's {} entries",
            head.head.size
        )));
    }
    Ok(())
}

async fn fetch_nodes(conn: &mut AnyConnection, needed: &[(u8, u64)]) -> Result<Fetched, StoreError> {
    let mut found = HashMap::with_capacity(needed.len());
    let leaves: Vec<u64> = needed.iter().filter(|(l, _)| *l == 0).map(|(_, i)| *i).collect();
    let inner: Vec<(u8, u64)> = needed.iter().filter(|(l, _)| *l > 0).copied().collect();
    if !leaves.is_empty() {
        let list = (1..=leaves.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(",");
        let sql = format!("SELECT seq, leaf_hash FROM journal_entries WHERE seq IN ({list})");
        let mut query = sqlx::query(&sql);
        for leaf in &leaves {
            query = query.bind(*leaf as i64);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let seq: i64 = row.try_get("seq")?;
            found.insert((0, seq as u64), hash_from(row.try_get("leaf_hash")?, "leaf hash")?);
        }
    }
    if !inner.is_empty() {
        let list = (0..inner.len())
            .map(|i| format!("(leaf = ${} AND level = ${})", 2 * i + 1, 2 * i + 2))
            .collect::<Vec<_>>();
        let sql = format!("SELECT leaf, level, hash FROM journal_nodes WHERE {}", list.join(" OR "));
        let mut query = sqlx::query(&sql);
        for (level, index) in &inner {
            query = query.bind(completing_leaf(*level, *index) as i64).bind(i64::from(*level));
        }
        for row in query.fetch_all(&mut *conn).await? {
            let leaf: i64 = row.try_get("leaf")?;
            let level: i64 = row.try_get("level")?;
            let level = level as u8;
            let index = ((leaf as u64) + 1) / (1u64 << level) - 1;
            found.insert((level, index), hash_from(row.try_get("hash")?, "node hash")?);
        }
    }
    Ok(Fetched(found))
}

/// The frontier of the stored tree of `size` entries, for the writer to append to.
pub(super) async fn load_frontier(conn: &mut AnyConnection, size: u64) -> Result<Frontier, StoreError> {
    with_nodes(conn, |src| Frontier::from_nodes(size, src)).await
}

/// [`load_frontier`] on the SQLite writer's own connection.
pub(super) fn load_frontier_local(conn: &rusqlite::Connection, size: u64) -> Result<Frontier, StoreError> {
    with_nodes_local(conn, size, |src| Frontier::from_nodes(size, src))
}

impl Store {
    /// The Merkle root of the first `size` entries.
    pub async fn journal_root(&self, size: u64) -> Result<Hash, StoreError> {
        self.over_tree(size, |src| journal::root_at(src, size)).await
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, StoreError> {
        self.over_tree(size, |src| journal::inclusion_proof(src, index, size)).await
    }

    /// The consistency proof between the trees of `old` and `new` entries.
    pub async fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, StoreError> {
        self.over_tree(new, |src| journal::consistency_proof(src, old, new)).await
    }

    /// Runs a computation over the stored tree of `size` entries, which the signed head must
    /// cover.
    async fn over_tree<T, E: std::fmt::Display>(
        &self,
        size: u64,
        compute: impl Fn(&DynSource<'_>) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        if let Some(local) = &self.local {
            return local.with(|conn| with_nodes_local(conn, size, compute));
        }
        beyond_head(size, &self.journal_head().await?)?;
        let mut conn = self.read.acquire().await?;
        with_nodes(&mut conn, compute).await
    }
}
