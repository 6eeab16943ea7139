//! Release sources (being built).
