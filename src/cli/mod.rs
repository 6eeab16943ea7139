//! Command line (being built).

/// Runs ferry and returns the process exit code.
pub fn main() -> i32 {
    0
}
