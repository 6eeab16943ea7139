//! The fleet's live table and logs: one row per cluster (context, version,
//! current hop, state) redrawn as its run moves, and one log file per
//! cluster holding every line that run said, with the time.

use crate::bundle::freshness::format_time;
use crate::cli::console::describe_phase;
use crate::cluster::installer::{InstallObserver, InstallPhase};
use crate::upgrade::console::{Console, Stage};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The table: a header and a row per cluster, on stderr when it is a
/// terminal (hidden otherwise; the logs and the summary remain).
pub struct FleetTable {
    multi: MultiProgress,
    width: usize,
    log_dir: PathBuf,
}

impl FleetTable {
    /// A table for `contexts` whose logs go to `log_dir`; drawn when `visible`.
    pub fn new(contexts: &[String], log_dir: &Path, visible: bool) -> FleetTable {
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let width = contexts.iter().map(String::len).max().unwrap_or(0).max(7);
        let table = FleetTable {
            multi: MultiProgress::with_draw_target(target),
            width,
            log_dir: log_dir.to_path_buf(),
        };
        let header = table.multi.add(ProgressBar::new_spinner());
        header.set_style(plain_style("  {msg}"));
        header.finish_with_message(table.columns("CLUSTER", "VERSION", "HOP", "STATE"));
        table
    }

    /// The log file of `context` in the log directory.
    pub fn log_path(&self, context: &str) -> PathBuf {
        self.log_dir.join(format!("{}.log", file_safe(context)))
    }

    /// The console of one cluster: its row and its log (appended to).
    pub fn member(&self, context: &str) -> MemberConsole {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(plain_style("{spinner} {msg}"));
        bar.enable_steady_tick(Duration::from_millis(150));
        let path = self.log_path(context);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .ok();
        let console = MemberConsole {
            context: context.to_string(),
            width: self.width,
            bar,
            row: Mutex::new(Row {
                version: "?".into(),
                hop: "-".into(),
                state: "waiting".into(),
            }),
            log: Mutex::new(log),
            last_phase: Mutex::new(String::new()),
        };
        console.log(&format!("== ferry apply {context}"));
        console.redraw();
        console
    }

    fn columns(&self, context: &str, version: &str, hop: &str, state: &str) -> String {
        columns(self.width, context, version, hop, state)
    }
}

fn columns(width: usize, context: &str, version: &str, hop: &str, state: &str) -> String {
    format!("{context:<width$}  {version:<10}  {hop:<18}  {state}")
}

fn plain_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

/// A context name as a file name: anything but letters, digits, `.`, `-`
/// and `_` becomes `_`.
fn file_safe(context: &str) -> String {
    let name: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    match name.trim_start_matches('.') {
        "" => "context".to_string(),
        _ => name,
    }
}

struct Row {
    version: String,
    hop: String,
    state: String,
}

/// One cluster's console: never interactive (the fleet confirmed once),
/// guides go to the log.
pub struct MemberConsole {
    context: String,
    width: usize,
    bar: ProgressBar,
    row: Mutex<Row>,
    log: Mutex<Option<File>>,
    last_phase: Mutex<String>,
}

impl MemberConsole {
    /// Ends the row with the run's final `state`.
    pub fn finish(&self, state: &str) {
        self.update(|row| row.state = state.to_string());
        self.log(&format!("== {state}"));
        self.bar.finish();
    }

    fn update(&self, change: impl FnOnce(&mut Row)) {
        if let Ok(mut row) = self.row.lock() {
            change(&mut row);
        }
        self.redraw();
    }

    fn redraw(&self) {
        let Ok(row) = self.row.lock() else {
            return;
        };
        let state: String = row.state.chars().take(72).collect();
        self.bar.set_message(columns(
            self.width,
            &self.context,
            &row.version,
            &row.hop,
            &state,
        ));
    }

    /// Appends `line` to the log with the time; a log that cannot be
    /// written never stops the upgrade.
    fn log(&self, line: &str) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if let Ok(mut log) = self.log.lock() {
            if let Some(file) = log.as_mut() {
                let _ = writeln!(file, "{} {line}", format_time(now));
            }
        }
    }
}

impl Console for MemberConsole {
    fn say(&self, line: &str) {
        self.log(line);
        let first = line.lines().next().unwrap_or_default().trim().to_string();
        self.update(|row| row.state = first);
    }

    fn interactive(&self) -> bool {
        false
    }

    fn confirm(&self, _question: &str) -> bool {
        false
    }

    fn show_guide(&self, title: &str, text: &str) {
        self.log(&format!("==> migration guide {title} <==\n{text}"));
    }

    fn installer(&self) -> &dyn InstallObserver {
        self
    }

    fn stage(&self, stage: Stage<'_>) {
        self.update(|row| match stage {
            Stage::Located { current, hops } => {
                row.version = current.to_string();
                row.hop = match hops {
                    0 => "-".to_string(),
                    n => format!("{n} to go"),
                };
            }
            Stage::HopStarted(hop) => row.hop = format!("{} -> {}", hop.previous, hop.version),
            Stage::HopFinished(hop) => row.version = hop.version.to_string(),
        });
    }
}

impl InstallObserver for MemberConsole {
    fn update(&self, phase: &InstallPhase, elapsed: Duration) {
        let text = describe_phase(phase);
        if let Ok(mut last) = self.last_phase.lock() {
            if *last != text {
                self.log(&text);
                *last = text.clone();
            }
        }
        MemberConsole::update(self, |row| {
            row.state = format!("{text} ({}s)", elapsed.as_secs())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_becomes_a_safe_file_name() {
        assert_eq!(file_safe("prod-eu.1"), "prod-eu.1");
        assert_eq!(file_safe("arn:aws:eks/prod"), "arn_aws_eks_prod");
        assert_eq!(file_safe(".."), "context");
    }
}
