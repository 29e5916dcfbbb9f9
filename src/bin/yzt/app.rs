//! `yzt app`: the phone simulator (being written).

use clap::Subcommand;

use crate::Failure;

#[derive(Subcommand)]
pub enum AppCommand {}

pub fn run(cmd: AppCommand) -> Result<(), Failure> {
    match cmd {}
}
