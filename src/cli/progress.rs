//! Progress for humans: bars on a terminal, plain lines otherwise. The
//! download engine only knows the `Reporter` trait; this is its CLI face.

use crate::fetch::{RateLimitKind, Reporter};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

/// Draws download progress on stderr.
pub struct Progress {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
    packing: Mutex<Option<ProgressBar>>,
    bars_enabled: bool,
    quiet: bool,
}

impl Progress {
    /// Bars when stderr is a terminal and not `quiet`; plain lines otherwise.
    pub fn new(quiet: bool) -> Progress {
        let bars_enabled = !quiet && std::io::stderr().is_terminal();
        let target = if bars_enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(HashMap::new()),
            packing: Mutex::new(None),
            bars_enabled,
            quiet,
        }
    }

    /// Removes the bar of `label`, if it has one.
    fn end_bar(&self, label: &str) {
        if let Ok(mut bars) = self.bars.lock() {
            if let Some(bar) = bars.remove(label) {
                bar.finish_and_clear();
            }
        }
    }

    /// Prints a line above the bars (or plainly), unless quiet.
    pub fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.bars_enabled {
            let _ = self.multi.println(text);
        } else {
            let _ = std::io::Write::write_fmt(&mut std::io::stderr(), format_args!("{text}\n"));
        }
    }

    fn bar_style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{spinner} {msg:40!} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
    }
}

impl Reporter for Progress {
    fn download_started(&self, label: &str, total: Option<u64>, resumed_from: u64) {
        if resumed_from > 0 {
            self.line(&format!(
                "resuming {label} at {}",
                super::output::human_size(resumed_from)
            ));
        }
        if !self.bars_enabled {
            return;
        }
        let bar = self.multi.add(ProgressBar::new(total.unwrap_or(0)));
        bar.set_style(Self::bar_style());
        bar.set_message(label.to_string());
        bar.set_position(resumed_from);
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut bars) = self.bars.lock() {
            bars.insert(label.to_string(), bar);
        }
    }

    fn download_progress(&self, label: &str, delta: u64) {
        if let Ok(bars) = self.bars.lock() {
            if let Some(bar) = bars.get(label) {
                bar.inc(delta);
            }
        }
    }

    fn pushed(&self, label: &str, how: &str) {
        self.end_bar(label);
        self.line(&format!("  {how:<10} {label}"));
    }

    fn download_finished(&self, label: &str, from_cache: bool) {
        self.end_bar(label);
        let how = if from_cache {
            "cached    "
        } else {
            "downloaded"
        };
        self.line(&format!("  {how} {label}"));
    }

    fn packing(&self, done: u64, total: u64) {
        if !self.bars_enabled {
            return;
        }
        let Ok(mut packing) = self.packing.lock() else {
            return;
        };
        let bar = packing.get_or_insert_with(|| {
            let bar = self.multi.add(ProgressBar::new(total));
            bar.set_style(Self::bar_style());
            bar.set_message("packing the bundle");
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        bar.set_position(done);
        if done >= total {
            bar.finish_and_clear();
        }
    }

    fn retrying(&self, what: &str, attempt: u32, wait: Duration, reason: &str) {
        // One line when a request starts failing; every retry with -v.
        let wait = humantime::format_duration(round(wait));
        if attempt == 1 {
            self.line(&format!(
                "  {reason}: retrying {what} in {wait} (-v shows every retry)"
            ));
        } else {
            tracing::info!("retrying {what} in {wait} (attempt {attempt}): {reason}");
        }
    }

    fn rate_limited(&self, kind: RateLimitKind, wait: Duration) {
        let which = match kind {
            RateLimitKind::Primary => "GitHub API rate limit reached",
            RateLimitKind::Secondary => "GitHub secondary rate limit hit",
        };
        self.line(&format!(
            "  {which}: waiting {} before continuing (set GITHUB_TOKEN for a higher limit)",
            humantime::format_duration(round(wait))
        ));
    }
}

fn round(wait: Duration) -> Duration {
    Duration::from_millis(wait.as_millis() as u64 / 100 * 100)
}
