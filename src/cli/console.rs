//! The operator's console for `ferry apply`: lines of progress, yes/no
//! questions, guides through a pager, and a spinner while the installer runs.

use crate::cluster::installer::{InstallObserver, InstallPhase};
use crate::upgrade::console::Console;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Console on the process's terminal (or plain streams).
pub struct TerminalConsole {
    /// Lines go to stderr: asked for (stdout carries JSON), or stdout was
    /// closed under a running upgrade, which must go on regardless.
    to_stderr: AtomicBool,
    interactive: bool,
    spinner: InstallerSpinner,
}

impl TerminalConsole {
    /// Progress on stdout, or stderr when stdout carries JSON; `quiet`
    /// keeps the installer's progress off stderr.
    pub fn new(to_stderr: bool, quiet: bool) -> TerminalConsole {
        let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
        TerminalConsole {
            to_stderr: AtomicBool::new(to_stderr),
            interactive,
            spinner: InstallerSpinner::new(std::io::stderr().is_terminal(), quiet),
        }
    }
}

impl Console for TerminalConsole {
    fn say(&self, line: &str) {
        self.spinner.pause(|| {
            if !self.to_stderr.load(Ordering::Relaxed) {
                let mut stdout = std::io::stdout().lock();
                if writeln!(stdout, "{line}")
                    .and_then(|()| stdout.flush())
                    .is_ok()
                {
                    return;
                }
                self.to_stderr.store(true, Ordering::Relaxed);
            }
            // Output problems never stop cluster work: a line that cannot
            // be shown anywhere is dropped.
            let _ = writeln!(std::io::stderr(), "{line}");
        });
    }

    fn interactive(&self) -> bool {
        self.interactive
    }

    fn confirm(&self, question: &str) -> bool {
        let mut stdout = std::io::stdout();
        let _ = write!(stdout, "{question} [y/N] ").and_then(|()| stdout.flush());
        let mut answer = String::new();
        if std::io::stdin().lock().read_line(&mut answer).is_err() {
            return false;
        }
        matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
    }

    fn show_guide(&self, title: &str, text: &str) {
        let header = format!("==> migration guide {title} <==\n");
        if self.interactive && page(&format!("{header}{text}")) {
            return;
        }
        self.say(&header);
        self.say(text);
    }

    fn installer(&self) -> &dyn InstallObserver {
        &self.spinner
    }
}

/// Shows text through `$PAGER` (default `less -R`); false when no pager ran.
fn page(text: &str) -> bool {
    let pager = std::env::var("PAGER").unwrap_or_else(|_| "less -R".to_string());
    let mut words = pager.split_whitespace();
    let Some(program) = words.next() else {
        return false;
    };
    let Ok(mut child) = Command::new(program)
        .args(words)
        .stdin(Stdio::piped())
        .spawn()
    else {
        return false;
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(text.as_bytes());
    }
    child.wait().is_ok()
}

/// A spinner (terminal) or one line per change (otherwise) for the installer.
struct InstallerSpinner {
    bar: Option<ProgressBar>,
    last: Mutex<String>,
    quiet: bool,
}

impl InstallerSpinner {
    fn new(terminal: bool, quiet: bool) -> InstallerSpinner {
        let bar = terminal.then(|| {
            let bar = ProgressBar::hidden();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar
        });
        InstallerSpinner {
            bar,
            last: Mutex::new(String::new()),
            quiet,
        }
    }

    fn pause(&self, print: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(print),
            None => print(),
        }
    }
}

/// One line for an installer phase, as the consoles show it.
pub(crate) fn describe_phase(phase: &InstallPhase) -> String {
    match phase {
        InstallPhase::Pending => "installer: waiting to start".to_string(),
        InstallPhase::InProgress { description } => format!("installer: InProgress, {description}"),
        InstallPhase::Retrying { description, .. } => {
            format!("installer: Error (retrying), {description}")
        }
        InstallPhase::Installed { .. } => "installer: Installed".to_string(),
        InstallPhase::Failed { description, .. } => {
            format!("installer: Error, gave up: {description}")
        }
    }
}

impl InstallObserver for InstallerSpinner {
    fn update(&self, phase: &InstallPhase, elapsed: Duration) {
        if self.quiet {
            return;
        }
        let text = describe_phase(phase);
        let seconds = elapsed.as_secs();
        match &self.bar {
            Some(bar) => {
                if bar.is_hidden() {
                    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                    bar.enable_steady_tick(Duration::from_millis(120));
                }
                bar.set_message(format!("{text} ({seconds}s)"));
                if matches!(
                    phase,
                    InstallPhase::Installed { .. } | InstallPhase::Failed { .. }
                ) {
                    bar.finish_and_clear();
                    let _ = writeln!(std::io::stderr(), "  {text} after {seconds}s");
                }
            }
            None => {
                let Ok(mut last) = self.last.lock() else {
                    return;
                };
                if *last != text {
                    let _ = writeln!(std::io::stderr(), "  {text} ({seconds}s)");
                    *last = text;
                }
            }
        }
    }
}
