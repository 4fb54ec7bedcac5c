//! The Merkle Tree Hash, inclusion proofs and consistency proofs of RFC 9162 §2.1.
//!
//! Proofs are generated against [`NodeSource`], which serves only hashes of
//! *perfect* subtrees (2^L leaves starting at a multiple of 2^L). Those never
//! change once written, so a store can persist each one the moment it is
//! completed (see [`crate::frontier`]) and never rewrite it. The hash of any
//! other subtree the RFC needs — the ragged right edge of a tree whose size is
//! not a power of two — is folded on the fly from the perfect subtrees of its
//! binary decomposition, right to left. Each proof therefore costs O(log n)
//! reads whatever the tree size; storing the root of every size instead
//! (the rejected alternative) would make every append write O(log n) rows.
//!
//! Verification follows the iterative algorithms of RFC 9162 §2.1.3.2 and
//! §2.1.4.2 verbatim so that they can be checked line by line against the RFC.
//! A proof does not commit to the tree size on its own: the size and root to
//! verify against must come from a signed tree head ([`crate::head`]).

use thiserror::Error;

use crate::hash::{Hash, empty_root, node_hash};

/// Hashes of perfect subtrees: level L, index i covers leaves [i*2^L, (i+1)*2^L).
///
/// Level 0 holds the leaf hashes. Implementations only need to answer for
/// subtrees that lie entirely inside the tree being proved.
pub trait NodeSource {
    /// Why a node could not be read (an I/O error, a missing row).
    type Error;

    /// The hash of the perfect subtree at `level` and `index`.
    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, Self::Error>;
}

impl<S: NodeSource + ?Sized> NodeSource for &S {
    type Error = S::Error;

    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, Self::Error> {
        (**self).perfect_node(level, index)
    }
}

/// Why a proof or a root could not be produced.
#[derive(Debug, Error)]
pub enum ProofError<E> {
    /// The leaf asked for is not in the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The leaf index asked for.
        index: u64,
        /// The size of the tree the proof was asked for.
        size: u64,
    },
    /// A consistency proof was asked from a larger tree to a smaller one.
    #[error("old tree size {old} is greater than new tree size {new}")]
    OldSizeGreater {
        /// The old (claimed prefix) size.
        old: u64,
        /// The new size.
        new: u64,
    },
    /// The node source failed to serve a node.
    #[error("node source failed to serve a perfect subtree hash")]
    Source(#[source] E),
}

/// Why a proof does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The leaf index is not below the tree size.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexOutOfRange {
        /// The claimed leaf index.
        index: u64,
        /// The claimed tree size.
        size: u64,
    },
    /// The old size is greater than the new size.
    #[error("old tree size {old} is greater than new tree size {new}")]
    OldSizeGreater {
        /// The claimed old size.
        old: u64,
        /// The claimed new size.
        new: u64,
    },
    /// The proof has more hashes than the tree sizes allow.
    #[error("proof has more hashes than the tree sizes allow")]
    ProofTooLong,
    /// The proof has fewer hashes than the tree sizes require.
    #[error("proof has fewer hashes than the tree sizes require")]
    ProofTooShort,
    /// A consistency proof between equal sizes or from the empty tree must be empty.
    #[error("proof must be empty for these tree sizes")]
    ProofNotEmpty,
    /// The root rebuilt from the proof differs from the expected root.
    #[error("root rebuilt from the proof does not match the expected root")]
    RootMismatch,
    /// The old root rebuilt from a consistency proof differs from the expected old root.
    #[error("old root rebuilt from the proof does not match the expected old root")]
    OldRootMismatch,
    /// The new root rebuilt from a consistency proof differs from the expected new root.
    #[error("new root rebuilt from the proof does not match the expected new root")]
    NewRootMismatch,
}

/// The largest power of two strictly below `n`; `n` must be at least 2.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The Merkle Tree Hash of leaves `[start, end)`, folded right to left from the
/// perfect subtrees of the binary decomposition of the range.
///
/// The range must be non-empty and `start` a multiple of the largest power of
/// two not above `end - start`, which holds for every subtree the RFC's
/// recursion visits; then every piece of the decomposition is a perfect subtree.
fn range_hash<S: NodeSource>(src: &S, start: u64, end: u64) -> Result<Hash, S::Error> {
    debug_assert!(start < end);
    let mut rest = end - start;
    debug_assert!(start % (1 << (63 - rest.leading_zeros())) == 0);
    let mut folded: Option<Hash> = None;
    // Lowest set bit first: that is the rightmost, smallest piece.
    while rest != 0 {
        let level = rest.trailing_zeros();
        rest &= rest - 1;
        let offset = start + rest;
        // `level` < 64, so it fits a u8.
        let node = src.perfect_node(level as u8, offset >> level)?;
        folded = Some(match folded {
            None => node,
            Some(right) => node_hash(&node, &right),
        });
    }
    // A non-empty range has at least one piece.
    Ok(folded.unwrap_or_else(empty_root))
}

/// The Merkle Tree Hash of the first `size` leaves (RFC 9162 §2.1.1); the empty
/// tree's root for size 0. At most 64 reads.
pub fn root_at<S: NodeSource>(src: &S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(src, 0, size)
}

/// The inclusion proof `PATH(index, D[0:size])` of RFC 9162 §2.1.3.1, bottom-up.
/// At most 2·64 reads.
pub fn inclusion_proof<S: NodeSource>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::with_capacity(64 - size.leading_zeros() as usize);
    let (mut start, mut end) = (0, size);
    // Walk from the root down to the leaf; the RFC lists siblings leaf first.
    while end - start > 1 {
        let middle = start + split_point(end - start);
        if index < middle {
            path.push(range_hash(src, middle, end).map_err(ProofError::Source)?);
            end = middle;
        } else {
            path.push(range_hash(src, start, middle).map_err(ProofError::Source)?);
            start = middle;
        }
    }
    path.reverse();
    Ok(path)
}

/// The consistency proof `PROOF(old, D[0:new])` of RFC 9162 §2.1.4.1, bottom-up.
///
/// Empty when `old` is 0 or equal to `new` (every tree extends the empty tree
/// and itself). At most 2·64 reads.
pub fn consistency_proof<S: NodeSource>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if old > new {
        return Err(ProofError::OldSizeGreater { old, new });
    }
    if old == 0 || old == new {
        return Ok(Vec::new());
    }
    let mut proof = Vec::with_capacity(64 - new.leading_zeros() as usize + 1);
    let (mut start, mut end) = (0, new);
    // The RFC's flag `b`: whether [start, end) is still a prefix of the old tree
    // whose hash the verifier already knows.
    let mut known_to_verifier = true;
    loop {
        if old == end {
            if !known_to_verifier {
                proof.push(range_hash(src, start, end).map_err(ProofError::Source)?);
            }
            break;
        }
        let middle = start + split_point(end - start);
        if old <= middle {
            proof.push(range_hash(src, middle, end).map_err(ProofError::Source)?);
            end = middle;
        } else {
            proof.push(range_hash(src, start, middle).map_err(ProofError::Source)?);
            start = middle;
            known_to_verifier = false;
        }
    }
    proof.reverse();
    Ok(proof)
}

/// Checks that `leaf` is at `index` in the tree of `size` leaves with `root`,
/// by the algorithm of RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(VerifyError::ProofTooLong);
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::ProofTooShort);
    }
    if r != *root {
        return Err(VerifyError::RootMismatch);
    }
    Ok(())
}

/// Checks that the tree of `old_size` leaves with `old_root` is a prefix of the
/// tree of `new_size` leaves with `new_root`, by the algorithm of RFC 9162 §2.1.4.2.
///
/// For equal sizes the proof must be empty and the roots equal; from size 0 the
/// proof must be empty.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::OldSizeGreater { old: old_size, new: new_size });
    }
    if old_size == new_size || old_size == 0 {
        if !proof.is_empty() {
            return Err(VerifyError::ProofNotEmpty);
        }
        if old_size == new_size && old_root != new_root {
            return Err(VerifyError::RootMismatch);
        }
        return Ok(());
    }
    let mut path = proof.iter();
    // A power-of-two old tree is a node of the new tree: the RFC prepends its
    // root to the path instead of sending it.
    let seed = if old_size.is_power_of_two() {
        *old_root
    } else {
        *path.next().ok_or(VerifyError::ProofTooShort)?
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (seed, seed);
    for c in path {
        if s == 0 {
            return Err(VerifyError::ProofTooLong);
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::ProofTooShort);
    }
    if fr != *old_root {
        return Err(VerifyError::OldRootMismatch);
    }
    if sr != *new_root {
        return Err(VerifyError::NewRootMismatch);
    }
    Ok(())
}

/// A node the [`MemoryTree`] does not hold: the subtree is not complete yet.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("no complete subtree at level {level} index {index}")]
pub struct MissingNode {
    /// The level asked for.
    pub level: u8,
    /// The index asked for.
    pub index: u64,
}

/// A whole tree in memory: every perfect subtree hash of every level.
///
/// Uses about 64 bytes per leaf; meant for tests, tools and small logs. A
/// durable journal keeps the same nodes in its store instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[L][i]` is the perfect node at level L, index i.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree holding these leaf hashes, in order.
    pub fn from_leaf_hashes(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for leaf in leaves {
            tree.push(leaf);
        }
        tree
    }

    /// Appends a leaf hash and completes the perfect subtrees it closes.
    pub fn push(&mut self, leaf: Hash) {
        let mut level = 0;
        let mut hash = leaf;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let nodes = &mut self.levels[level];
            nodes.push(hash);
            if nodes.len() % 2 == 1 {
                break;
            }
            hash = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// The leaf hash at `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        let index = usize::try_from(index).ok()?;
        self.levels.first()?.get(index).copied()
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        root_at(self, self.size()).expect("a memory tree holds every perfect subtree below its size")
    }
}

impl NodeSource for MemoryTree {
    type Error = MissingNode;

    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels.get(usize::from(level))?.get(i).copied())
            .ok_or(MissingNode { level, index })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hash::leaf_hash;

    // ---- The Certificate Transparency test vectors -------------------------

    const CT_LEAVES: [&str; 8] =
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    const CT_ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    fn ct_tree() -> MemoryTree {
        MemoryTree::from_leaf_hashes(CT_LEAVES.iter().map(|leaf| leaf_hash(&hex::decode(leaf).unwrap())))
    }

    fn hashes(texts: &[&str]) -> Vec<Hash> {
        texts.iter().map(|text| text.parse().unwrap()).collect()
    }

    #[test]
    fn ct_roots_at_every_size() {
        let tree = ct_tree();
        for (size, root) in CT_ROOTS.iter().enumerate() {
            let size = size as u64;
            assert_eq!(root_at(&tree, size).unwrap().to_string(), *root, "size {size}");
            let prefix = MemoryTree::from_leaf_hashes((0..size).map(|i| tree.leaf(i).unwrap()));
            assert_eq!(prefix.root().to_string(), *root, "size {size}");
        }
    }

    #[test]
    fn ct_inclusion_proofs() {
        let tree = ct_tree();
        let cases: [(u64, u64, &[&str]); 5] = [
            (
                0,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                5,
                8,
                &[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            (1, 2, &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
            // The sibling of leaf 1 is leaf 0, whose hash is the size-1 root.
            (
                1,
                5,
                &[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (index, size, expected) in cases {
            let proof = inclusion_proof(&tree, index, size).unwrap();
            assert_eq!(proof, hashes(expected), "leaf {index} of size {size}");
            let root: Hash = CT_ROOTS[size as usize].parse().unwrap();
            verify_inclusion(&tree.leaf(index).unwrap(), index, size, &proof, &root).unwrap();
        }
    }

    #[test]
    fn ct_consistency_proofs() {
        let tree = ct_tree();
        let cases: [(u64, u64, &[&str]); 3] = [
            (
                1,
                8,
                &[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ],
            ),
            (
                6,
                8,
                &[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ],
            ),
            (
                2,
                5,
                &[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ],
            ),
        ];
        for (old, new, expected) in cases {
            let proof = consistency_proof(&tree, old, new).unwrap();
            assert_eq!(proof, hashes(expected), "{old} -> {new}");
            let old_root: Hash = CT_ROOTS[old as usize].parse().unwrap();
            let new_root: Hash = CT_ROOTS[new as usize].parse().unwrap();
            verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
        }
    }

    #[test]
    fn edge_cases_are_typed_errors() {
        let tree = ct_tree();
        let root = tree.root();
        assert!(matches!(
            inclusion_proof(&tree, 8, 8),
            Err(ProofError::IndexOutOfRange { index: 8, size: 8 })
        ));
        assert!(matches!(consistency_proof(&tree, 5, 4), Err(ProofError::OldSizeGreater { old: 5, new: 4 })));
        assert!(matches!(inclusion_proof(&tree, 3, 9), Err(ProofError::Source(MissingNode { .. }))));
        assert_eq!(consistency_proof(&tree, 0, 8).unwrap(), vec![]);
        assert_eq!(consistency_proof(&tree, 8, 8).unwrap(), vec![]);
        let leaf = tree.leaf(0).unwrap();
        assert_eq!(
            verify_inclusion(&leaf, 0, 0, &[], &root),
            Err(VerifyError::IndexOutOfRange { index: 0, size: 0 })
        );
        assert_eq!(verify_consistency(0, 8, &empty_root(), &root, &[]), Ok(()));
        assert_eq!(verify_consistency(8, 8, &root, &root, &[]), Ok(()));
        assert_eq!(verify_consistency(8, 8, &root, &leaf, &[]), Err(VerifyError::RootMismatch));
        assert_eq!(verify_consistency(8, 8, &root, &root, &[leaf]), Err(VerifyError::ProofNotEmpty));
        assert_eq!(verify_consistency(3, 8, &root, &root, &[]), Err(VerifyError::ProofTooShort));
        assert_eq!(
            verify_consistency(9, 8, &root, &root, &[]),
            Err(VerifyError::OldSizeGreater { old: 9, new: 8 })
        );
        // A one-leaf tree: the leaf is the root and the proof is empty.
        let single = MemoryTree::from_leaf_hashes([leaf]);
        assert_eq!(inclusion_proof(&single, 0, 1).unwrap(), vec![]);
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[], &leaf), Ok(()));
        assert_eq!(verify_inclusion(&leaf, 0, 1, &[leaf], &leaf), Err(VerifyError::ProofTooLong));
    }

    // ---- A naive implementation, straight from the RFC's recursive definitions ----

    /// The largest power of two strictly below `n`, by doubling.
    fn naive_split(n: u64) -> u64 {
        let mut k = 1;
        while k <= (n - 1) / 2 {
            k *= 2;
        }
        k
    }

    /// MTH(D[n]) of RFC 9162 §2.1.1.
    fn naive_mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = naive_split(n as u64) as usize;
                node_hash(&naive_mth(&leaves[..k]), &naive_mth(&leaves[k..]))
            }
        }
    }

    /// The ranges `[a, b)` whose MTH form PATH(m, D[a:b]) (§2.1.3.1), `m` relative to `a`.
    fn naive_path_ranges(m: u64, a: u64, b: u64) -> Vec<(u64, u64)> {
        let n = b - a;
        if n == 1 {
            return vec![];
        }
        let k = naive_split(n);
        if m < k {
            let mut path = naive_path_ranges(m, a, a + k);
            path.push((a + k, b));
            path
        } else {
            let mut path = naive_path_ranges(m - k, a + k, b);
            path.push((a, a + k));
            path
        }
    }

    /// The ranges whose MTH form SUBPROOF(m, D[a:b], complete) (§2.1.4.1), `m` relative to `a`.
    fn naive_subproof_ranges(m: u64, a: u64, b: u64, complete: bool) -> Vec<(u64, u64)> {
        let n = b - a;
        if m == n {
            return if complete { vec![] } else { vec![(a, b)] };
        }
        let k = naive_split(n);
        if m <= k {
            let mut proof = naive_subproof_ranges(m, a, a + k, complete);
            proof.push((a + k, b));
            proof
        } else {
            let mut proof = naive_subproof_ranges(m - k, a + k, b, false);
            proof.push((a, a + k));
            proof
        }
    }

    fn naive_hashes(leaves: &[Hash], ranges: &[(u64, u64)]) -> Vec<Hash> {
        ranges.iter().map(|&(a, b)| naive_mth(&leaves[a as usize..b as usize])).collect()
    }

    fn naive_inclusion(leaves: &[Hash], index: u64) -> Vec<Hash> {
        naive_hashes(leaves, &naive_path_ranges(index, 0, leaves.len() as u64))
    }

    fn naive_consistency(leaves: &[Hash], old: u64) -> Vec<Hash> {
        let new = leaves.len() as u64;
        if old == 0 || old == new {
            return vec![];
        }
        naive_hashes(leaves, &naive_subproof_ranges(old, 0, new, true))
    }

    /// How a verifier combines what it is given into a root, as an expression.
    ///
    /// A proof does not name the tree size it belongs to, so a proof for one
    /// size also verifies for another size whenever the verifier performs the
    /// very same computation; this is sound (the signed head fixes the size).
    /// Comparing shapes tells those legitimate coincidences from a verifier bug.
    #[derive(Debug, PartialEq, Eq)]
    enum Shape {
        /// The hash handed to the verifier directly (the leaf, or a power-of-two old root).
        Given,
        /// The proof hash at this position.
        Proof(usize),
        /// A node over two shapes.
        Node(Box<Shape>, Box<Shape>),
        /// A range that nothing provides: the naive proof is wrong.
        Missing,
    }

    fn shape(a: u64, b: u64, given: Option<(u64, u64)>, ranges: &[(u64, u64)]) -> Shape {
        if given == Some((a, b)) {
            return Shape::Given;
        }
        if let Some(position) = ranges.iter().position(|&range| range == (a, b)) {
            return Shape::Proof(position);
        }
        if b - a == 1 {
            return Shape::Missing;
        }
        let k = naive_split(b - a);
        Shape::Node(Box::new(shape(a, a + k, given, ranges)), Box::new(shape(a + k, b, given, ranges)))
    }

    fn inclusion_shape(index: u64, size: u64) -> Option<Shape> {
        (index < size).then(|| shape(0, size, Some((index, index + 1)), &naive_path_ranges(index, 0, size)))
    }

    /// Shapes of (old root, new root); `None` where no non-empty proof is valid.
    fn consistency_shape(old: u64, new: u64) -> Option<(Shape, Shape)> {
        if old == 0 || old >= new {
            return None;
        }
        let ranges = naive_subproof_ranges(old, 0, new, true);
        let given = old.is_power_of_two().then_some((0, old));
        Some((shape(0, old, given, &ranges), shape(0, new, given, &ranges)))
    }

    fn distinct_leaves(seed: u64, count: u64) -> Vec<Hash> {
        (0..count).map(|i| leaf_hash(format!("{seed}/{i}").as_bytes())).collect()
    }

    fn flip(hash: &Hash, bit: usize) -> Hash {
        let mut bytes = hash.to_bytes();
        bytes[bit / 8] ^= 1 << (bit % 8);
        Hash::from_bytes(bytes)
    }

    /// Checks one inclusion proof and every single-bit change of its inputs.
    fn check_inclusion(tree: &MemoryTree, leaves: &[Hash], index: u64, mutate: bool) {
        let size = leaves.len() as u64;
        let root = naive_mth(leaves);
        let leaf = leaves[index as usize];
        let proof = inclusion_proof(tree, index, size).unwrap();
        assert_eq!(proof, naive_inclusion(leaves, index), "leaf {index} of {size}");
        assert_eq!(verify_inclusion(&leaf, index, size, &proof, &root), Ok(()));
        if !mutate {
            return;
        }
        for position in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.clone();
                bad[position] = flip(&bad[position], bit);
                assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }
        }
        for bit in 0..256 {
            assert!(verify_inclusion(&leaf, index, size, &proof, &flip(&root, bit)).is_err());
            assert!(verify_inclusion(&flip(&leaf, bit), index, size, &proof, &root).is_err());
        }
        let original = inclusion_shape(index, size);
        for bit in 0..64 {
            let other_index = index ^ (1 << bit);
            let accepted = verify_inclusion(&leaf, other_index, size, &proof, &root).is_ok();
            let same = inclusion_shape(other_index, size) == original;
            assert_eq!(accepted, same, "index {index} -> {other_index} of {size}");
            let other_size = size ^ (1 << bit);
            let accepted = verify_inclusion(&leaf, index, other_size, &proof, &root).is_ok();
            let same = inclusion_shape(index, other_size) == original;
            assert_eq!(accepted, same, "leaf {index} of {size} -> {other_size}");
        }
    }

    /// Checks one consistency proof and every single-bit change of its inputs.
    fn check_consistency(tree: &MemoryTree, leaves: &[Hash], old: u64, mutate: bool) {
        let new = leaves.len() as u64;
        let old_root = naive_mth(&leaves[..old as usize]);
        let new_root = naive_mth(leaves);
        let proof = consistency_proof(tree, old, new).unwrap();
        assert_eq!(proof, naive_consistency(leaves, old), "{old} -> {new}");
        assert_eq!(verify_consistency(old, new, &old_root, &new_root, &proof), Ok(()));
        if !mutate || old == 0 || old == new {
            return;
        }
        for position in 0..proof.len() {
            for bit in 0..256 {
                let mut bad = proof.clone();
                bad[position] = flip(&bad[position], bit);
                assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
            }
        }
        for bit in 0..256 {
            let bad_old = flip(&old_root, bit);
            let bad_new = flip(&new_root, bit);
            assert!(verify_consistency(old, new, &bad_old, &new_root, &proof).is_err());
            assert!(verify_consistency(old, new, &old_root, &bad_new, &proof).is_err());
        }
        let original = consistency_shape(old, new);
        for bit in 0..64 {
            let other_old = old ^ (1 << bit);
            let accepted = verify_consistency(other_old, new, &old_root, &new_root, &proof).is_ok();
            let same = consistency_shape(other_old, new) == original;
            assert_eq!(accepted, same, "{old} -> {new} changed to {other_old} -> {new}");
            let other_new = new ^ (1 << bit);
            let accepted = verify_consistency(old, other_new, &old_root, &new_root, &proof).is_ok();
            let same = consistency_shape(old, other_new) == original;
            assert_eq!(accepted, same, "{old} -> {new} changed to {old} -> {other_new}");
        }
    }

    #[test]
    fn every_proof_of_every_small_tree_matches_the_naive_one() {
        for size in 1..=40u64 {
            let leaves = distinct_leaves(size, size);
            let tree = MemoryTree::from_leaf_hashes(leaves.iter().copied());
            assert_eq!(tree.root(), naive_mth(&leaves));
            for index in 0..size {
                check_inclusion(&tree, &leaves, index, false);
            }
            for old in 0..=size {
                check_consistency(&tree, &leaves, old, false);
            }
        }
    }

    #[test]
    fn every_mutation_of_small_proofs_is_caught() {
        for size in 1..=12u64 {
            let leaves = distinct_leaves(size, size);
            let tree = MemoryTree::from_leaf_hashes(leaves.iter().copied());
            for index in 0..size {
                check_inclusion(&tree, &leaves, index, true);
            }
            for old in 0..=size {
                check_consistency(&tree, &leaves, old, true);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn random_proofs_verify_and_mutations_fail(
            seed in any::<u64>(),
            size in 1..=1000u64,
            index in any::<u64>(),
            old in any::<u64>(),
        ) {
            let leaves = distinct_leaves(seed, size);
            let tree = MemoryTree::from_leaf_hashes(leaves.iter().copied());
            prop_assert_eq!(tree.root(), naive_mth(&leaves));
            check_inclusion(&tree, &leaves, index % size, true);
            check_consistency(&tree, &leaves, old % (size + 1), true);
        }
    }
}
