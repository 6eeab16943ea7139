//! One module per command; each takes the shared flags and its own arguments.

mod apply;
mod bundle;
mod demo;
mod guide;
mod images;
mod inspect;
mod keygen;
mod mirror;
mod plan;
mod push;
mod sandbox;
mod status;
mod verify;

use super::args::{Cli, Command, SandboxCommand};
use super::settings::Globals;
use anyhow::Result;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<()> {
    let globals = Globals {
        profile: cli.profile,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Keygen(args) => keygen::run(&args),
        Command::Plan(args) => plan::run(&globals, &args).await,
        Command::Bundle(args) => bundle::run(&globals, &args).await,
        Command::Mirror(args) => mirror::run(&globals, &args).await,
        Command::Verify(args) => verify::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Guide(args) => guide::run(&args),
        Command::Images(args) => images::run(&args),
        Command::Apply(args) => apply::run(&globals, &args).await,
        Command::Push(args) => push::run(&globals, &args).await,
        Command::Status(args) => status::run(&globals, &args).await,
        Command::Demo(args) => demo::run(&globals, &args).await,
        Command::Sandbox(SandboxCommand::Github(args)) => sandbox::run_github(&args).await,
        Command::Sandbox(SandboxCommand::Kube(args)) => sandbox::run_kube(&args).await,
        Command::Sandbox(SandboxCommand::Images(args)) => sandbox::run_images(&args),
    }
}
