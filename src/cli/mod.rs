//! The command line: parse, run, render the outcome, map errors to exit
//! codes. The only part of ferry that prints; everything else returns data.

pub mod args;
mod commands;
mod console;
mod exit;
mod fleet_console;
mod interrupt;
mod output;
mod progress;
mod remote;
mod settings;
mod trust;

use clap::Parser;
use std::io::IsTerminal;

/// Runs ferry with the process's arguments and returns the exit code.
pub fn main() -> i32 {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                exit::USAGE
            } else {
                exit::SUCCESS
            };
        }
    };
    init_logging(cli.verbose, cli.quiet);
    // The simulators shut down on Ctrl-C by themselves.
    if !runs_a_simulator(&cli.command) {
        interrupt::watch();
    }
    // Applying is one conversation with the API server: on one thread its
    // many small requests need no wake-ups across threads. Everything else
    // (parallel downloads and hashing) gets every core.
    let mut builder = match cli.command {
        args::Command::Apply(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return exit::ERROR;
        }
    };
    let json = cli.command.wants_json();
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => exit::SUCCESS,
        // The reader of our output went away (`ferry plan | head -1`): that
        // is how a pipe ends, not an error worth a word.
        Err(err) if err.chain().any(|cause| cause.is::<output::StdoutClosed>()) => exit::SUCCESS,
        Err(err) => {
            let code = exit::code_for(&err);
            exit::print_error(&err);
            if json && !exit::reported_in_json(&err) {
                let _ =
                    output::write_stdout(format_args!("{}\n", output::json_failure(&err, code)));
            }
            code
        }
    }
}

/// Log targets silenced unless RUST_LOG asks for them: they only repeat, as
/// log lines, failures that ferry reports as its error.
const QUIET_BY_DEFAULT: &str = "kube_client::client::builder=off,rustls_platform_verifier=off";

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "ferry=info",
        (false, _) => "ferry=debug",
    };
    // kube-rs and the platform's certificate verifier log a failed request
    // or handshake at ERROR; ferry's own error says the same with what to do.
    let default = format!("{default},{QUIET_BY_DEFAULT}");
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// True for `ferry sandbox ...`, whose simulators handle Ctrl-C themselves.
fn runs_a_simulator(command: &args::Command) -> bool {
    #[cfg(feature = "sandbox")]
    if matches!(command, args::Command::Sandbox(_)) {
        return true;
    }
    let _ = command;
    false
}
