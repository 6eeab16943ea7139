//! GitHub source (being built).
