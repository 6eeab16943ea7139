//! Product profiles (being built).
