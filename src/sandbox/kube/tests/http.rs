//! reqwest-level tests.
