//! The tamper sweep: every byte of a small real bundle matters. Each offset
//! in turn is changed (all bits flipped, then only the lowest) and the
//! bundle verified in-process; none may panic. Every byte flip must be
//! refused. A single-bit change is accepted only where deflate has another
//! encoding of the very same content (a back reference into a run of zeros
//! at distance 1 or 2, say): the inflated bytes are then identical, and
//! everything signed is unchanged. Header, trailer, tar and signed bytes
//! have no such freedom.

use super::fixtures::{inflate, verdict, Fixture};

#[test]
fn every_changed_byte_is_refused() {
    let fx = Fixture::tiny();
    let good = std::fs::read(fx.write("good.tar.gz")).unwrap();
    verdict(&fx, &good).unwrap();
    assert!(good.len() < 16 * 1024, "{}", good.len());
    let content = inflate(&good);
    let mut accepted = Vec::new();
    for offset in 0..good.len() {
        let mut bad = good.clone();
        bad[offset] ^= 0xff;
        if verdict(&fx, &bad).is_ok() {
            accepted.push(offset);
        }
    }
    assert!(
        accepted.is_empty(),
        "flipped bytes accepted at offsets {accepted:?} of {}",
        good.len()
    );
    for offset in 0..good.len() {
        let mut bad = good.clone();
        bad[offset] ^= 0x01;
        if verdict(&fx, &bad).is_ok() {
            assert!(
                inflate(&bad) == content,
                "bit 0 at {offset} changed the content and was accepted"
            );
        }
    }
}

#[test]
fn every_truncation_and_any_appended_byte_is_refused() {
    let fx = Fixture::tiny();
    let good = std::fs::read(fx.write("good.tar.gz")).unwrap();
    for len in 0..good.len() {
        assert!(verdict(&fx, &good[..len]).is_err(), "cut at {len} accepted");
    }
    for tail in [&[0u8][..], b"x", &crate::bundle::gzip::HEADER] {
        let mut long = good.clone();
        long.extend_from_slice(tail);
        assert!(verdict(&fx, &long).is_err(), "{tail:?} appended accepted");
    }
}
