//! `yzt serve`: the HTTP verification service (being written).

use clap::Args;

use crate::Failure;

#[derive(Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> Result<(), Failure> {
    Err(Failure::Error("not built yet".into()))
}
