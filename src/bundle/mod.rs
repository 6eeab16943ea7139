//! The bundle format: manifest types, the deterministic writer, the safe
//! streaming reader/verifier, and minisign signing.

pub mod manifest;
