//! SIGINT and SIGTERM: remove the temporary files writers registered with
//! `process`, then exit with the conventional code (130 for an interrupt,
//! 143 for a termination). Without this the default action kills ferry
//! before any destructor runs and a half-written bundle stays behind.
//!
//! The watcher runs on its own thread with its own small runtime, so it
//! answers even while every worker of the command's runtime is busy packing.

use crate::process;

/// Exit code after SIGINT (128 + 2).
const INTERRUPTED: i32 = 130;
/// Exit code after SIGTERM (128 + 15).
const TERMINATED: i32 = 143;

/// Starts the watcher thread. If it cannot start, signals keep their
/// default action (stale temporaries are then swept by the next run).
pub fn watch() {
    let started = std::thread::Builder::new()
        .name("ferry-signals".into())
        .spawn(run);
    if let Err(err) = started {
        tracing::warn!(
            "cannot watch for Ctrl-C ({err}); an interrupted bundle may leave a temporary file"
        );
    }
}

fn run() {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::warn!("cannot watch for Ctrl-C ({err})");
            return;
        }
    };
    let code = runtime.block_on(async {
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return None;
        };
        tokio::select! {
            _ = interrupt.recv() => Some(INTERRUPTED),
            _ = terminate.recv() => Some(TERMINATED),
        }
    });
    if let Some(code) = code {
        let _registry = process::remove_interrupted();
        eprintln!("\ninterrupted: temporary files removed");
        std::process::exit(code);
    }
}
