//! The frontier (compact range) of an append-only Merkle tree.
//!
//! The frontier keeps only the roots of the perfect subtrees of the binary
//! decomposition of the current size — at most 64 hashes, O(log n) memory —
//! which is all that is needed to append the next leaf and to compute the
//! current root. It serves two purposes:
//!
//! - **writing**: [`Frontier::push`] reports exactly the perfect nodes that the
//!   append completed (the leaf itself and every parent it closed), so a store
//!   persists each node once, in the same transaction as the entry, and never
//!   updates it; [`crate::tree`] serves every proof from those nodes;
//! - **verifying**: an auditor streams the entries in order through a frontier
//!   and compares [`Frontier::root`] with each signed tree head, re-hashing the
//!   whole journal in one pass and constant memory.
//!
//! Rebuilding the tree in memory (the rejected alternative) would cost 64 bytes
//! per entry, several gigabytes for a year of accesses.

use crate::hash::{Hash, empty_root, node_hash};
use crate::tree::NodeSource;

/// A perfect subtree completed by an append: `(level, index, hash)`, with level
/// 0 the leaf itself (same coordinates as [`NodeSource::perfect_node`]).
pub type CompletedNode = (u8, u64, Hash);

/// The roots of the perfect subtrees covering leaves `[0, size)`, largest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    /// One hash per set bit of `size`, from the highest bit to the lowest.
    nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes the frontier of a tree of `size` leaves from stored nodes: reads
    /// the perfect node of each set bit of `size` (at most 64 reads).
    pub fn from_nodes<S: NodeSource>(size: u64, src: &S) -> Result<Self, S::Error> {
        let mut nodes = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0u64;
        for level in (0..64u8).rev() {
            if size & (1 << level) != 0 {
                nodes.push(src.perfect_node(level, start >> level)?);
                start += 1 << level;
            }
        }
        Ok(Self { size, nodes })
    }

    /// Number of leaves appended so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf hash and returns the perfect nodes it completed, the leaf
    /// first and then each parent up the tree: what a store must persist.
    pub fn push(&mut self, leaf: Hash) -> Vec<CompletedNode> {
        let mut completed = Vec::with_capacity(self.size.trailing_ones() as usize + 1);
        self.push_with(leaf, |level, index, hash| {
            completed.push((level, index, hash));
        });
        completed
    }

    /// Appends a leaf hash without reporting completed nodes: the verifier's
    /// path, which allocates nothing.
    pub fn append(&mut self, leaf: Hash) {
        self.push_with(leaf, |_, _, _| {});
    }

    /// Appends a leaf hash and hands each completed node to `completed`, in the
    /// order [`Frontier::push`] returns them.
    pub fn push_with(&mut self, leaf: Hash, mut completed: impl FnMut(u8, u64, Hash)) {
        let mut index = self.size;
        let mut level = 0u8;
        let mut hash = leaf;
        completed(level, index, hash);
        // Each trailing one bit of the old size is a left sibling waiting for
        // this subtree: merge with it and move one level up.
        while index & 1 == 1 {
            let left = self.nodes.pop().expect("every set bit of the size has its node in the frontier");
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            completed(level, index, hash);
        }
        self.nodes.push(hash);
        self.size = self.size.checked_add(1).expect("a journal cannot hold 2^64 entries");
    }

    /// The Merkle Tree Hash of the leaves appended so far (RFC 9162 §2.1.1).
    pub fn root(&self) -> Hash {
        let mut nodes = self.nodes.iter().rev();
        let Some(&last) = nodes.next() else {
            return empty_root();
        };
        nodes.fold(last, |right, left| node_hash(left, &right))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;
    use crate::tree::{MemoryTree, root_at};

    /// MTH(D[n]) straight from RFC 9162 §2.1.1.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let mut k = 1;
                while k * 2 < n {
                    k *= 2;
                }
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    fn leaves(seed: u64, count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(format!("{seed}:{i}").as_bytes())).collect()
    }

    /// Pushes every leaf, checking root, size and completed nodes at each step.
    fn check(leaves: &[Hash]) {
        let mut frontier = Frontier::new();
        let mut tree = MemoryTree::new();
        assert_eq!(frontier.root(), empty_root());
        for (i, leaf) in leaves.iter().enumerate() {
            let completed = frontier.push(*leaf);
            tree.push(*leaf);
            let size = i as u64 + 1;
            assert_eq!(frontier.size(), size);
            assert_eq!(frontier.root(), naive_root(&leaves[..=i]), "size {size}");
            // Exactly the perfect nodes whose last leaf is this one, bottom-up.
            let expected: Vec<CompletedNode> = (0..=i.trailing_ones() as u8)
                .map(|level| {
                    let index = i as u64 >> level;
                    (level, index, tree.perfect_node(level, index).unwrap())
                })
                .collect();
            assert_eq!(completed, expected, "size {size}");
            assert!(frontier.nodes.len() <= 64);
            assert_eq!(frontier.nodes.len(), size.count_ones() as usize);
        }
    }

    #[test]
    fn small_trees_match_the_naive_root_at_every_size() {
        check(&leaves(0, 300));
    }

    #[test]
    fn resumes_from_stored_nodes() {
        let all = leaves(1, 100);
        let tree = MemoryTree::from_leaf_hashes(all.iter().copied());
        for size in 0..=60u64 {
            let mut resumed = Frontier::from_nodes(size, &tree).unwrap();
            assert_eq!(resumed.size(), size);
            assert_eq!(resumed.root(), root_at(&tree, size).unwrap());
            for leaf in &all[size as usize..] {
                resumed.append(*leaf);
            }
            assert_eq!(resumed.root(), tree.root());
        }
        let short = MemoryTree::from_leaf_hashes(all.iter().take(3).copied());
        assert!(Frontier::from_nodes(4, &short).is_err());
    }

    #[test]
    fn append_and_push_agree() {
        let all = leaves(2, 37);
        let mut pushed = Frontier::new();
        let mut appended = Frontier::new();
        for leaf in &all {
            pushed.push(*leaf);
            appended.append(*leaf);
        }
        assert_eq!(pushed, appended);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]

        #[test]
        fn root_equals_the_naive_root_at_every_size(seed in any::<u64>(), count in 0..=1000u64) {
            check(&leaves(seed, count));
        }
    }
}
