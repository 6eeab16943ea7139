//! What the hop runner needs from whoever runs it: a place to say things,
//! a way to ask, and an observer for the installer. The CLI implements it
//! with prompts and spinners; tests with a recorder.

use crate::bundle::manifest::Hop;
use crate::cluster::installer::InstallObserver;
use crate::version::Version;

/// Where a run stands, for consoles that show it as data (the fleet table)
/// rather than as lines.
#[derive(Debug, Clone, Copy)]
pub enum Stage<'a> {
    /// The cluster's version is known and this many hops remain.
    Located {
        /// The version the cluster runs.
        current: &'a Version,
        /// How many hops remain.
        hops: usize,
    },
    /// A hop starts (after its guides were acknowledged).
    HopStarted(&'a Hop),
    /// A hop finished: the cluster runs its version.
    HopFinished(&'a Hop),
}

/// The operator's side of an upgrade.
pub trait Console: Send + Sync {
    /// Says one line of progress.
    fn say(&self, line: &str);
    /// True when a person can be asked (stdin and stdout are terminals).
    fn interactive(&self) -> bool;
    /// Asks a yes/no question; only called when `interactive()`.
    fn confirm(&self, question: &str) -> bool;
    /// Shows a migration guide (paged on a terminal).
    fn show_guide(&self, title: &str, text: &str);
    /// Receives the installer's progress while a hop finishes.
    fn installer(&self) -> &dyn InstallObserver;
    /// Learns where the run stands; the lines of `say` say it too.
    fn stage(&self, _stage: Stage<'_>) {}
}
