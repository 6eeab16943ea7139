//! Tests of the bundle module through its real code paths: real files,
//! real archives, and the real `tar`, `sha256sum` and `minisign` tools.

mod external;
pub(crate) mod fixtures;
mod hostile;
mod members;
mod roundtrip;
mod sign;
mod sweep;
mod tamper;
mod trust;
mod writer;
