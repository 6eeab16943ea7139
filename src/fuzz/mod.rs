//! Fuzz targets for everything ferry parses from outside its trust
//! boundary: the bundle reader (the whole verify path), the manifest
//! parser, the profile parser and the journal decoder.
//!
//! They run on stable Rust inside `cargo test`, through proptest with a
//! fixed seed and a bounded number of cases, so a failure in CI reproduces
//! on any machine. The longer run is the same harness with a larger count:
//! `PROPTEST_CASES=100000 cargo test --release --lib fuzz_`. A panic
//! anywhere fails the target with the input that caused it, shrunk.

mod bundle;
mod journal;
mod manifest;
mod profile;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// Where every target's random stream starts.
const SEED: u64 = 0xfe77_0010;

/// A runner with the fixed seed and no failure files; `cases` unless
/// `PROPTEST_CASES` asks for another count.
pub fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(cases);
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(SEED),
        failure_persistence: None,
        ..Config::default()
    })
}

/// One change to a byte string, at a position chosen relative to its length.
#[derive(Debug, Clone)]
pub enum Edit {
    /// XOR one byte with a non-zero mask.
    Flip(Index, u8),
    /// Insert bytes before a position.
    Insert(Index, Vec<u8>),
    /// Remove up to this many bytes from a position.
    Delete(Index, usize),
    /// Copy up to this many bytes from one position over another.
    Copy(Index, Index, usize),
    /// Cut the string at a position.
    Truncate(Index),
}

/// One to five edits, small enough that most inputs stay near valid.
pub fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<Index>(), 1..=255u8).prop_map(|(at, mask)| Edit::Flip(at, mask)),
        1 => (any::<Index>(), vec(any::<u8>(), 1..64)).prop_map(|(at, b)| Edit::Insert(at, b)),
        1 => (any::<Index>(), 1..600usize).prop_map(|(at, n)| Edit::Delete(at, n)),
        1 => (any::<Index>(), any::<Index>(), 1..600usize)
            .prop_map(|(from, to, n)| Edit::Copy(from, to, n)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ];
    vec(edit, 1..=5)
}

/// `bytes` with `edits` applied in order.
pub fn apply(edits: &[Edit], bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        let len = out.len();
        let at = |index: &Index| if len == 0 { 0 } else { index.index(len) };
        match edit {
            Edit::Flip(index, mask) if len > 0 => out[at(index)] ^= mask,
            Edit::Flip(..) => {}
            Edit::Insert(index, extra) => {
                let start = at(index);
                out.splice(start..start, extra.iter().copied());
            }
            Edit::Delete(index, count) => {
                let start = at(index);
                out.drain(start..(start + count).min(len));
            }
            Edit::Copy(from, to, count) if len > 0 => {
                let (from, to) = (at(from), at(to));
                let count = (*count).min(len - from).min(len - to);
                out.copy_within(from..from + count, to);
            }
            Edit::Copy(..) => {}
            Edit::Truncate(index) => out.truncate(at(index)),
        }
    }
    out
}

/// `depth` copies of `open`, then `leaf`, then `depth` copies of `close`.
pub fn nested(open: &str, leaf: &str, close: &str, depth: usize) -> String {
    let mut text = String::with_capacity(depth * (open.len() + close.len()) + leaf.len());
    for _ in 0..depth {
        text.push_str(open);
    }
    text.push_str(leaf);
    for _ in 0..depth {
        text.push_str(close);
    }
    text
}
