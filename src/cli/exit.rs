//! The one table from outcome to exit code, and how an error is shown.

/// Success.
pub const SUCCESS: i32 = 0;
/// Any failure that is not a usage error.
pub const ERROR: i32 = 1;
/// The command line itself was wrong.
pub const USAGE: i32 = 2;

/// A mistake in how ferry was called, found after parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The exit code for an error.
pub fn code_for(err: &anyhow::Error) -> i32 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        USAGE
    } else {
        ERROR
    }
}

/// Prints the error and its causes, once, on stderr.
pub fn print_error(err: &anyhow::Error) {
    eprintln!("error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
