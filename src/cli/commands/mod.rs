//! One module per command; each takes the shared flags and its own arguments.

mod apply;
mod bundle;
#[cfg(feature = "sandbox")]
mod demo;
mod fleet;
mod guide;
mod images;
mod inspect;
mod keygen;
mod mirror;
mod parts;
mod plan;
mod publish;
mod push;
#[cfg(feature = "sandbox")]
mod sandbox;
mod status;
mod verify;

#[cfg(feature = "sandbox")]
use super::args::SandboxCommand;
use super::args::{Cli, Command};
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
        Command::Verify(args) => verify::run(&globals, &args).await,
        Command::Inspect(args) => inspect::run(&globals, &args).await,
        Command::Guide(args) => guide::run(&globals, &args).await,
        Command::Images(args) => images::run(&globals, &args).await,
        Command::Apply(args) => apply::run(&globals, &args).await,
        Command::Push(args) => push::run(&globals, &args).await,
        Command::Status(args) => status::run(&globals, &args).await,
        Command::Split(args) => parts::run_split(&args),
        Command::Join(args) => parts::run_join(&args),
        Command::Publish(args) => publish::run(&globals, &args).await,
        #[cfg(feature = "sandbox")]
        Command::Demo(args) => demo::run(&globals, &args).await,
        #[cfg(feature = "sandbox")]
        Command::Sandbox(command) => match command {
            SandboxCommand::Github(args) => sandbox::run_github(&args).await,
            SandboxCommand::Kube(args) => sandbox::run_kube(&args).await,
            SandboxCommand::Images(args) => sandbox::run_images(&args),
        },
    }
}
