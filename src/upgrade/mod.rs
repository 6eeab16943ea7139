//! The hop runner (being built).
