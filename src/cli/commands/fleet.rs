//! `ferry apply` on many clusters: verify once, ask once, upgrade every
//! cluster with a concurrency limit behind a live table, then a summary.

use crate::cli::args::ApplyArgs;
use crate::cli::exit::{FleetIncomplete, ReportedInJson};
use crate::cli::fleet_console::FleetTable;
use crate::cli::output::{outln, print_json};
use crate::cli::settings::Globals;
use crate::upgrade::fleet::{apply_fleet, MemberResult};
use crate::upgrade::runner::{unpack, ApplyRequest, UpgradeError};
use anyhow::{Context as _, Result};
use serde_json::json;
use std::io::{BufRead as _, IsTerminal as _, Write as _};

/// Upgrades every cluster of `contexts` as `request` says and prints the summary.
pub async fn run(
    globals: &Globals,
    args: &ApplyArgs,
    contexts: &[String],
    request: &ApplyRequest,
) -> Result<()> {
    let unpacked = unpack(request)?;
    eprintln!("{}", unpacked.verified_line(&request.bundle));
    if !args.yes && !confirm_fleet(contexts)? {
        return Err(UpgradeError::Declined.into());
    }
    std::fs::create_dir_all(&args.log_dir)
        .with_context(|| format!("cannot create --log-dir {}", args.log_dir.display()))?;
    let visible = !globals.quiet && std::io::stderr().is_terminal();
    let table = FleetTable::new(contexts, &args.log_dir, visible);
    let results = apply_fleet(
        &unpacked,
        request,
        contexts,
        usize::from(args.parallel),
        |context| table.member(context),
        |console, result| console.finish(&short_state(result)),
    )
    .await;
    report(args, &table, &results)
}

/// Asks once for the whole fleet; without a terminal, --yes is needed.
fn confirm_fleet(contexts: &[String]) -> Result<bool> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        return Err(UpgradeError::NeedsConfirmation.into());
    }
    let mut stdout = std::io::stdout();
    write!(
        stdout,
        "Upgrade {} clusters ({})? [y/N] ",
        contexts.len(),
        contexts.join(", ")
    )?;
    stdout.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// How a cluster's run ended, for its row.
fn short_state(result: &MemberResult) -> String {
    match &result.outcome {
        Ok(outcome) => {
            let (state, _, version, _) = outcome.summary();
            format!("{state}: {version}")
        }
        Err(err) if err.needs_operator() => "needs the operator".to_string(),
        Err(_) => "FAILED (see its log)".to_string(),
    }
}

/// Prints the summary (a table, or JSON) and says whether the fleet is done.
fn report(args: &ApplyArgs, table: &FleetTable, results: &[MemberResult]) -> Result<()> {
    let failed = results
        .iter()
        .filter(|r| r.outcome.as_ref().is_err_and(|e| !e.needs_operator()))
        .count();
    let waiting = results
        .iter()
        .filter(|r| r.outcome.as_ref().is_err_and(UpgradeError::needs_operator))
        .count();
    let incomplete = (failed + waiting > 0).then(|| incomplete(args, results, failed, waiting));
    if args.json {
        let clusters: Vec<serde_json::Value> = results
            .iter()
            .map(|result| member_json(table, result))
            .collect();
        let code = incomplete.as_ref().map_or(0, FleetIncomplete::exit_code);
        print_json(&json!({
            "ok": incomplete.is_none(),
            "clusters": clusters,
            "done": results.len() - failed - waiting,
            "failed": failed,
            "needs_operator": waiting,
            "error": incomplete.as_ref().map(|i| &i.message),
            "exit_code": code,
        }))?;
    } else {
        print_table(table, results)?;
    }
    match incomplete {
        None => Ok(()),
        Some(incomplete) if args.json => {
            let message = incomplete.message.clone();
            Err(anyhow::Error::new(incomplete).context(ReportedInJson(message)))
        }
        Some(incomplete) => Err(incomplete.into()),
    }
}

/// What did not finish, and what to do about it.
fn incomplete(
    args: &ApplyArgs,
    results: &[MemberResult],
    failed: usize,
    waiting: usize,
) -> FleetIncomplete {
    let names = |needs_operator: bool| -> Vec<&str> {
        results
            .iter()
            .filter(|r| {
                r.outcome
                    .as_ref()
                    .is_err_and(|e| e.needs_operator() == needs_operator)
            })
            .map(|r| r.context.as_str())
            .collect()
    };
    let mut message = format!(
        "{} of {} clusters did not finish",
        failed + waiting,
        results.len()
    );
    if failed > 0 {
        message.push_str(&format!("; failed: {}", names(false).join(", ")));
    }
    if waiting > 0 {
        message.push_str(&format!(
            "; waiting at a migration guide: {} (do its steps, then pass --accept-guide HOP)",
            names(true).join(", ")
        ));
    }
    message.push_str(&format!(
        "; their logs are in {}; rerun the same command and each resumes where it stopped",
        args.log_dir.display()
    ));
    FleetIncomplete {
        message,
        failed: failed > 0,
    }
}

/// One cluster as `--json` reports it.
fn member_json(table: &FleetTable, result: &MemberResult) -> serde_json::Value {
    let log = table.log_path(&result.context);
    let seconds = result.elapsed.as_secs_f64();
    match &result.outcome {
        Ok(outcome) => {
            let (state, from, version, hops) = outcome.summary();
            json!({
                "context": result.context, "outcome": state, "from": from,
                "version": version, "hops": hops, "seconds": seconds, "log": log,
            })
        }
        Err(err) => json!({
            "context": result.context,
            "outcome": if err.needs_operator() { "needs-operator" } else { "failed" },
            "error": error_text(err),
            "seconds": seconds,
            "log": log,
        }),
    }
}

/// An error with its causes, on one line.
fn error_text(err: &UpgradeError) -> String {
    let mut text = err.to_string();
    let mut cause = std::error::Error::source(err);
    while let Some(next) = cause {
        text.push_str(&format!(": {next}"));
        cause = next.source();
    }
    text
}

fn print_table(table: &FleetTable, results: &[MemberResult]) -> Result<()> {
    let width = results
        .iter()
        .map(|r| r.context.len())
        .max()
        .unwrap_or(0)
        .max(7);
    outln!(
        "{:<width$}  {:<14}  {:<10}  {:>6}",
        "CLUSTER",
        "OUTCOME",
        "VERSION",
        "TIME"
    )?;
    for result in results {
        let (state, version) = match &result.outcome {
            Ok(outcome) => {
                let (state, _, version, _) = outcome.summary();
                (state.to_string(), version.to_string())
            }
            Err(err) if err.needs_operator() => ("needs-operator".to_string(), "-".to_string()),
            Err(_) => ("FAILED".to_string(), "-".to_string()),
        };
        outln!(
            "{:<width$}  {state:<14}  {version:<10}  {:>5.1}s",
            result.context,
            result.elapsed.as_secs_f64()
        )?;
        if let Err(err) = &result.outcome {
            outln!("    {}", error_text(err))?;
            outln!("    log: {}", table.log_path(&result.context).display())?;
        }
    }
    Ok(())
}
