//! Download engine (being built).
