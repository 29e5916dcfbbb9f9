//! `yzt qr`: decode and render QR challenges.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;
use yizhengtong::Error;
use yizhengtong::qr::Challenge;

use crate::{Failure, write};

#[derive(Subcommand)]
pub enum QrCommand {
    /// Decode a challenge (its text, or a file holding it) and print its fields as JSON.
    Show {
        /// The QR text (YZT1.…) or a file containing it.
        input: String,
        /// Write the QR code as PNG.
        #[arg(long)]
        png: Option<PathBuf>,
        /// Write the QR code as SVG.
        #[arg(long)]
        svg: Option<PathBuf>,
        /// Print the QR code in the terminal.
        #[arg(long)]
        terminal: bool,
    },
}

pub fn run(cmd: QrCommand) -> Result<(), Failure> {
    match cmd {
        QrCommand::Show {
            input,
            png,
            svg,
            terminal,
        } => {
            let text = if input.starts_with(yizhengtong::qr::challenge::QR_PREFIX) {
                input
            } else {
                std::fs::read_to_string(&input)
                    .map_err(|e| Error::param("input", format!("{input}: {e}")))?
            };
            let c = Challenge::from_text(&text)?;
            let view = json!({
                "platform_code": c.platform_code,
                "transaction": c.transaction_hex(),
                "action": c.action.name(),
                "action_label": c.action.label_zh(),
                "nonce": yizhengtong::hex::encode(&c.nonce),
                "issued_at": yizhengtong::time::format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(c.issued_at)),
                "expires_at": yizhengtong::time::format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(c.expires_at)),
                "callback_host": c.callback_host,
                "digest": c.digest.map(|d| yizhengtong::hex::encode(&d)),
                "ephemeral_key": c.ephemeral_key.map(|k| yizhengtong::hex::encode(&k.to_sec1_bytes(true))),
                "signature": yizhengtong::hex::encode(&c.signature.to_raw()),
                "text_length": c.to_text().len(),
                "note": "the platform's signature is checked by the app against its registry, not here",
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&view).unwrap_or_default()
            );
            if let Some(p) = png {
                write(&p, &c.to_png(6)?)?;
            }
            if let Some(p) = svg {
                write(&p, c.to_svg()?.as_bytes())?;
            }
            if terminal {
                println!("{}", c.to_terminal()?);
            }
        }
    }
    Ok(())
}
