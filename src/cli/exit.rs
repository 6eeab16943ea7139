//! The one table from outcome to exit code, and how an error is shown.

/// Success.
pub const SUCCESS: i32 = 0;
/// Any failure that is not a usage error.
pub const ERROR: i32 = 1;
/// The command line itself was wrong.
pub const USAGE: i32 = 2;
/// An upgrade stopped at a migration guide that needs the operator.
pub const NEEDS_OPERATOR: i32 = 3;

/// A mistake in how ferry was called, found after parsing (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// A failure whose `--json` object the command already printed (with its
/// own details, e.g. `mirror verify`'s problems): only stderr says it again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ReportedInJson(pub String);

/// A fleet run in which some clusters did not finish: exit code 1 when one
/// failed, 3 when the rest only wait for the operator (a migration guide).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FleetIncomplete {
    /// What did not finish and what to do.
    pub message: String,
    /// True when at least one cluster failed.
    pub failed: bool,
}

impl FleetIncomplete {
    /// 1 when a cluster failed, else 3 (the rest wait for the operator).
    pub fn exit_code(&self) -> i32 {
        if self.failed {
            ERROR
        } else {
            NEEDS_OPERATOR
        }
    }
}

/// True when the command already printed its `--json` failure object (the
/// marker may be the error or a context around it).
pub fn reported_in_json(err: &anyhow::Error) -> bool {
    err.downcast_ref::<ReportedInJson>().is_some()
        || err.chain().any(|cause| cause.is::<ReportedInJson>())
}

/// The exit code for an error.
pub fn code_for(err: &anyhow::Error) -> i32 {
    if let Some(fleet) = err.downcast_ref::<FleetIncomplete>() {
        return fleet.exit_code();
    }
    let stopped_for_operator = err.chain().any(|cause| {
        cause
            .downcast_ref::<crate::upgrade::runner::UpgradeError>()
            .is_some_and(|e| e.needs_operator())
    });
    if stopped_for_operator {
        NEEDS_OPERATOR
    } else if err.chain().any(|cause| cause.is::<UsageError>()) {
        USAGE
    } else {
        ERROR
    }
}

/// Prints the error and its causes, once, on stderr.
pub fn print_error(err: &anyhow::Error) {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "error: {err}");
    for cause in err.chain().skip(1) {
        // An HTTP library's own layers ("error sending request", "client
        // error (Connect)", ...) say less than their innermost cause.
        if cause.is::<reqwest::Error>() {
            let _ = writeln!(stderr, "  caused by: {}", crate::fetch::root_cause(cause));
            break;
        }
        // The API server's answer, without kube-rs's debug dump of it.
        if let Some(kube::Error::Api(status)) = cause.downcast_ref::<kube::Error>() {
            let _ = writeln!(
                stderr,
                "  caused by: the API server answered {} {}: {}",
                status.code, status.reason, status.message
            );
            break;
        }
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}
