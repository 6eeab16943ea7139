//! Hop planning (being built).
