//! Journal benchmarks against the targets of DESIGN.md: verification at
//! ≥ 2 M entries/s and an inclusion proof (generation and verification) in
//! ≤ 100 µs at 10 M entries.

// `criterion_group!` generates a public function that cannot carry a doc comment.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use journal::{
    Actor, Decision, Entry, Frontier, Hash, MissingNode, NodeSource, consistency_proof, inclusion_proof,
    leaf_hash, node_hash, root_at, verify_consistency, verify_inclusion,
};

const STREAM_ENTRIES: u64 = 1_000_000;
const PROOF_TREE_SIZE: u64 = 10_000_000;

/// Encoded entries shaped like real ones: a supplier showing one access point.
fn encoded_entries(count: u64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|sequence| {
            Entry {
                sequence,
                time_micros: 1_700_000_000_000_000 + sequence as i64 * 1_000,
                actor: Actor {
                    party_id: "5414567000001".into(),
                    role: "supplier".into(),
                    session: format!("r-{:06}", sequence % 1_000_000),
                },
                action: "register.show".into(),
                subjects: vec![format!("5414488200{:08}", sequence % 100_000_000)],
                purpose: "switch".into(),
                decision: Decision { allowed: true, policies: vec!["R1".into()] },
                outcome: "ok".into(),
                data_digest: None,
                salt: None,
                rows: Vec::new(),
            }
            .encode()
            .expect("a small entry always encodes")
        })
        .collect()
}

fn verification_throughput(c: &mut Criterion) {
    let entries = encoded_entries(STREAM_ENTRIES);
    let average = entries.iter().map(Vec::len).sum::<usize>() / entries.len();
    println!("stream: {STREAM_ENTRIES} entries of {average} bytes on average");
    let leaves: Vec<Hash> = entries.iter().map(|entry| leaf_hash(entry)).collect();

    let mut group = c.benchmark_group("verify_stream");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(STREAM_ENTRIES));
    // What an auditor does: hash each stored entry and fold it into the frontier.
    group.bench_function("leaf_hash_and_append_1M", |b| {
        b.iter(|| {
            let mut frontier = Frontier::new();
            for entry in &entries {
                frontier.append(leaf_hash(entry));
            }
            black_box(frontier.root())
        })
    });
    // What a writer does after hashing: append and collect the nodes to persist.
    group.bench_function("push_prehashed_1M", |b| {
        b.iter(|| {
            let mut frontier = Frontier::new();
            let mut persisted = 0usize;
            for leaf in &leaves {
                persisted += frontier.push(*leaf).len();
            }
            black_box((frontier.root(), persisted))
        })
    });
    group.finish();
}

/// A tree of synthetic leaves `leaf_hash(index.to_be_bytes())` that stores
/// only the perfect nodes of level `STORED_FROM` and up (1/8 of a full tree's
/// memory) and recomputes lower ones on demand, as a store with a node cache
/// would read them.
struct LeanTree {
    /// `levels[j]` holds the nodes of level `STORED_FROM + j`.
    levels: Vec<Vec<Hash>>,
}

const STORED_FROM: u8 = 4;

fn synthetic_leaf(index: u64) -> Hash {
    leaf_hash(&index.to_be_bytes())
}

fn synthetic_node(level: u8, index: u64) -> Hash {
    if level == 0 {
        synthetic_leaf(index)
    } else {
        node_hash(&synthetic_node(level - 1, 2 * index), &synthetic_node(level - 1, 2 * index + 1))
    }
}

impl LeanTree {
    fn new(size: u64) -> Self {
        let mut level: Vec<Hash> =
            (0..size >> STORED_FROM).map(|index| synthetic_node(STORED_FROM, index)).collect();
        let mut levels = Vec::new();
        while !level.is_empty() {
            let next = level.chunks_exact(2).map(|pair| node_hash(&pair[0], &pair[1])).collect();
            levels.push(std::mem::replace(&mut level, next));
        }
        Self { levels }
    }
}

impl NodeSource for LeanTree {
    type Error = MissingNode;

    fn perfect_node(&self, level: u8, index: u64) -> Result<Hash, MissingNode> {
        if level < STORED_FROM {
            return Ok(synthetic_node(level, index));
        }
        self.levels
            .get(usize::from(level - STORED_FROM))
            .and_then(|nodes| nodes.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(MissingNode { level, index })
    }
}

/// A deterministic spread of indices (xorshift), so caches do not flatter the figures.
fn next_index(state: &mut u64, below: u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state % below
}

fn proofs_at_ten_million(c: &mut Criterion) {
    let tree = LeanTree::new(PROOF_TREE_SIZE);
    let root = root_at(&tree, PROOF_TREE_SIZE).expect("the lean tree holds every node");

    let mut group = c.benchmark_group("proof_10M");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("inclusion_generate_and_verify", |b| {
        let mut state = 0x9e37_79b9_7f4a_7c15;
        b.iter(|| {
            let index = next_index(&mut state, PROOF_TREE_SIZE);
            let proof = inclusion_proof(&tree, index, PROOF_TREE_SIZE).expect("the index is inside the tree");
            verify_inclusion(&synthetic_leaf(index), index, PROOF_TREE_SIZE, &proof, &root)
                .expect("a generated proof verifies");
        })
    });
    group.bench_function("consistency_generate_and_verify", |b| {
        let mut state = 0x2545_f491_4f6c_dd1d;
        b.iter(|| {
            let old = next_index(&mut state, PROOF_TREE_SIZE) + 1;
            let old_root = root_at(&tree, old).expect("the lean tree holds every node");
            let proof =
                consistency_proof(&tree, old, PROOF_TREE_SIZE).expect("the old size is inside the tree");
            verify_consistency(old, PROOF_TREE_SIZE, &old_root, &root, &proof)
                .expect("a generated proof verifies");
        })
    });
    group.finish();
}

criterion_group!(benches, verification_throughput, proofs_at_ten_million);
criterion_main!(benches);
