//! What the hop runner needs from whoever runs it: a place to say things,
//! a way to ask, and an observer for the installer. The CLI implements it
//! with prompts and spinners; tests with a recorder.

use crate::cluster::installer::InstallObserver;

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
}
