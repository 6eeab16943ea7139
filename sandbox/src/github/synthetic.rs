//! `Catalogue::synthetic()`: a generated release set for benchmarks, sized
//! by the caller (hops, assets per release, bytes per asset). Owns only the
//! release list and the YAML-like asset text; the profile that plans it
//! (`benches/synthetic.toml`) and the measuring (`benches/run.sh`) live
//! outside the crate.

use super::catalogue::{Catalogue, SimAsset, SimRelease};
use bytes::Bytes;
use std::fmt::Write;

/// Owner of the synthetic repository.
pub const SYNTHETIC_OWNER: &str = "ferry-bench";
/// Name of the synthetic repository.
pub const SYNTHETIC_REPO: &str = "synthetic";

/// Name of the `index`-th asset (from 1) of every synthetic release.
pub fn synthetic_asset_name(index: u32) -> String {
    format!("part-{index:02}.yaml")
}

/// A small xorshift generator: deterministic, fast, good enough for text.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        // FNV-1a of the seed; never zero (xorshift would stay at zero).
        let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Rng(hash | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const KINDS: &[&str] = &["ConfigMap", "Service", "Deployment", "ServiceAccount"];
const WORDS: &[&str] = &[
    "api",
    "gateway",
    "broker",
    "catalog",
    "eventing",
    "monitoring",
    "logging",
    "tracing",
    "istio",
    "dex",
    "console",
    "backend",
    "controller",
    "webhook",
    "registry",
    "proxy",
];

/// `len` bytes of Kubernetes-manifest-like YAML, the same for the same seed:
/// repeated structure with random names, numbers and hex values, so it
/// compresses about as well as real release manifests (not all zeros).
pub fn synthetic_yaml(seed: &str, len: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = String::with_capacity(len + 1024);
    while out.len() < len {
        let kind = KINDS[rng.below(KINDS.len() as u64) as usize];
        let a = WORDS[rng.below(WORDS.len() as u64) as usize];
        let b = WORDS[rng.below(WORDS.len() as u64) as usize];
        let n = rng.below(10_000);
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: {kind}\nmetadata:\n  name: {a}-{b}-{n}\n  namespace: kyma-{a}\n  labels:\n    app.kubernetes.io/name: {a}-{b}\n    app.kubernetes.io/part-of: kyma\n    release: {seed}\ndata:\n"
        );
        for _ in 0..1 + rng.below(4) {
            let key = WORDS[rng.below(WORDS.len() as u64) as usize];
            let _ = writeln!(
                out,
                "  {key}.{b}.port: \"{}\"\n  {key}.{b}.checksum: \"{:016x}\"",
                1024 + rng.below(60_000),
                rng.next()
            );
        }
    }
    let mut bytes = out.into_bytes();
    bytes.truncate(len);
    bytes
}

impl Catalogue {
    /// Releases `1.0.0` ... `1.{hops}.0` of `ferry-bench/synthetic`, each with
    /// `assets_per_hop` YAML assets (`part-01.yaml`, ...) of `asset_bytes`
    /// bytes. No branches, so no migration guides. For benchmarks: plan it
    /// with `benches/synthetic.toml`.
    pub fn synthetic(hops: u32, assets_per_hop: u32, asset_bytes: usize) -> Catalogue {
        synthetic_releases(hops, |tag| {
            (1..=assets_per_hop)
                .map(|i| {
                    let name = synthetic_asset_name(i);
                    let content = synthetic_yaml(&format!("{tag}/{name}"), asset_bytes);
                    (name, content)
                })
                .collect()
        })
    }
}

/// The synthetic repository with releases `1.0.0` ... `1.{hops}.0`, each
/// carrying the (name, content) assets `assets(tag)` returns.
pub(super) fn synthetic_releases(
    hops: u32,
    assets: impl Fn(&str) -> Vec<(String, Vec<u8>)>,
) -> Catalogue {
    let mut c = Catalogue {
        owner: SYNTHETIC_OWNER.to_string(),
        repo: SYNTHETIC_REPO.to_string(),
        default_branch: "main".to_string(),
        ..Catalogue::default()
    };
    for minor in 0..=u64::from(hops) {
        let tag = format!("1.{minor}.0");
        let id = 1_000 * (minor + 1);
        let day = minor % 28 + 1;
        let month = (minor / 28) % 12 + 1;
        let published_at = format!("2024-{month:02}-{day:02}T10:00:00Z");
        let assets = assets(&tag)
            .into_iter()
            .zip(id + 1..)
            .map(|((name, content), asset_id)| {
                SimAsset::yaml(asset_id, name, Bytes::from(content), published_at.clone())
            })
            .collect();
        c.add_release(SimRelease {
            id,
            tag: tag.clone(),
            name: tag.clone(),
            prerelease: false,
            draft: false,
            published_at: published_at.clone(),
            body: format!("Synthetic release {tag}."),
            target_commitish: "main".to_string(),
            assets,
        });
    }
    c
}
