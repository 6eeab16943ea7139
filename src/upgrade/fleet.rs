//! One bundle, many clusters: the bundle is verified and extracted once,
//! then applied to each kubeconfig context with at most `parallel` at a
//! time. Every cluster keeps its own journal, lock and acknowledgements (they
//! live in the cluster), so one failing stops nothing else and a rerun picks
//! each up where it stopped.

use super::console::Console;
use super::error::UpgradeError;
use super::runner::{apply_unpacked, ApplyOutcome, ApplyRequest, Unpacked};
use futures_util::stream::{self, StreamExt as _};
use std::time::{Duration, Instant};

/// How one cluster of the fleet ended.
#[derive(Debug)]
pub struct MemberResult {
    /// Its kubeconfig context.
    pub context: String,
    /// What the run did, or why it stopped.
    pub outcome: Result<ApplyOutcome, UpgradeError>,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Applies `unpacked` to every context of `contexts`, `parallel` at a time,
/// each as `template` says but for its context (and never asking to
/// confirm: the caller asks once for the fleet). `console_for` gives each
/// cluster its console, `finished` hears of each run as it ends. Results
/// come back in the order of `contexts`.
pub async fn apply_fleet<C: Console>(
    unpacked: &Unpacked,
    template: &ApplyRequest,
    contexts: &[String],
    parallel: usize,
    console_for: impl Fn(&str) -> C,
    finished: impl Fn(&C, &MemberResult),
) -> Vec<MemberResult> {
    let finished = &finished;
    let runs = contexts.iter().map(|context| {
        let mut request = template.clone();
        request.target.context = Some(context.clone());
        request.confirm = false;
        let console = console_for(context);
        async move {
            let started = Instant::now();
            let outcome = apply_unpacked(unpacked, &request, &console).await;
            let result = MemberResult {
                context: request.target.context.unwrap_or_default(),
                outcome,
                elapsed: started.elapsed(),
            };
            finished(&console, &result);
            result
        }
    });
    let mut results: Vec<MemberResult> = stream::iter(runs)
        .buffer_unordered(parallel.max(1))
        .collect()
        .await;
    results.sort_by_key(|result| contexts.iter().position(|c| *c == result.context));
    results
}

/// The contexts a `--contexts-from` file lists: one per line, blank lines
/// and `#` comments skipped; a name listed twice is refused (two runs on
/// one cluster would fight over its lock).
pub fn contexts_from(text: &str) -> Result<Vec<String>, String> {
    let mut contexts: Vec<String> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let name = line.split('#').next().unwrap_or_default().trim();
        if name.is_empty() {
            continue;
        }
        if contexts.iter().any(|c| c == name) {
            return Err(format!(
                "line {}: context {name} is listed twice",
                number + 1
            ));
        }
        contexts.push(name.to_string());
    }
    Ok(contexts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contexts_file_skips_blanks_and_comments_and_refuses_twins() {
        let text = "# the fleet\nprod-eu\n\n  prod-us  # the big one\nstaging\n";
        assert_eq!(
            contexts_from(text).unwrap(),
            ["prod-eu", "prod-us", "staging"]
        );
        let err = contexts_from("a\nb\na\n").unwrap_err();
        assert!(err.contains("line 3: context a"), "{err}");
        assert!(contexts_from("# nobody\n").unwrap().is_empty());
    }
}
