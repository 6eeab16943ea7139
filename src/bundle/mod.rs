//! The bundle format: manifest types, the deterministic writer, the safe
//! streaming reader/verifier, and minisign signing.
//!
//! Producing the files that go in (planning, fetching) and applying a
//! verified bundle to a cluster belong to other modules.

pub(crate) mod atomic;
pub mod freshness;
mod gunzip;
pub(crate) mod gzip;
pub(crate) mod hashing;
mod inflater;
pub mod input;
pub mod keyring;
pub mod manifest;
pub mod members;
mod packer;
pub mod part_error;
mod part_index;
mod part_stream;
pub mod parts;
mod paths;
pub mod reader;
mod scan;
mod segmenter;
pub mod sign;
mod sign_error;
mod tar_layout;
pub mod verify_error;
mod write_error;
pub mod writer;

pub use input::{BundleInput, BundleRef, SplitBundle};
pub use members::{MemberStore, StoredMembers};
pub use reader::{
    inspect_bundle, read_payload_file, read_unverified, verify_and_extract, verify_bundle,
    InspectedBundle, VerifiedBundle,
};
pub use sign::{KeyFiles, PublicKey, SecretKey, SignError, SignatureInfo};
pub use verify_error::VerifyError;
pub use writer::{
    signed_head, sums_trusted_comment, trusted_comment, write_bundle, BundleError, PayloadFile,
    WriteOptions, WriteSummary,
};

#[cfg(test)]
pub(crate) mod tests;
