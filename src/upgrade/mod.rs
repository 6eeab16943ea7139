//! The hop runner (being built).

pub mod merge;
