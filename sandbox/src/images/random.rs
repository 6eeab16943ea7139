//! Reproducible incompressible bytes: a SplitMix64 stream whose state starts
//! from the SHA-256 of a seed, so a "random" layer is the same on every run
//! and every machine, and gzip cannot shrink it.

use sha2::{Digest as _, Sha256};

/// `len` pseudo-random bytes determined by `seed` alone.
pub fn pseudo_random(seed: &str, len: usize) -> Vec<u8> {
    let hash = Sha256::digest(seed.as_bytes());
    let mut start = [0u8; 8];
    start.copy_from_slice(&hash[..8]);
    let mut state = u64::from_le_bytes(start);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        assert_eq!(pseudo_random("a", 100), pseudo_random("a", 100));
        assert_eq!(pseudo_random("a", 100)[..40], pseudo_random("a", 40)[..]);
        assert_ne!(pseudo_random("a", 64), pseudo_random("b", 64));
        assert_eq!(pseudo_random("a", 0), Vec::<u8>::new());
    }

    #[test]
    fn gzip_cannot_shrink_it() {
        let data = pseudo_random("incompressible", 64 * 1024);
        let gzipped = crate::images::build::gzip(&data, 9).unwrap();
        assert!(
            gzipped.len() > data.len(),
            "{} of {}",
            gzipped.len(),
            data.len()
        );
    }
}
