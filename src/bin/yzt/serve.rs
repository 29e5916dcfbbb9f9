//! `yzt serve`: the HTTP verification service with its QR login page.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use yizhengtong::Error;
use yizhengtong::serve::{Service, ServiceConfig};
use yizhengtong::store::AnyStore;

use crate::Failure;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    command: Option<ServeCommand>,
    /// The configuration file (JSON: platform code, name, callback host,
    /// key and certificate, trusted CAs, CRLs, API keys; see the README).
    #[arg(long, required = true)]
    config: Option<PathBuf>,
    /// Where to listen.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// `memory`, or a postgres:// URL (the build needs `--features postgres`).
    #[arg(long, default_value = "memory")]
    backend: String,
    /// Worker threads (default: the number of cores).
    #[arg(long)]
    workers: Option<usize>,
}

#[derive(Subcommand)]
enum ServeCommand {
    /// Make an API key for the platform's back end: prints the key (give
    /// it to the back end; it is shown once) on stdout, and on stderr the
    /// entry to add to the configuration's `api_keys` (its SM3 only).
    Key {
        /// A name for the key, logged with each request it authorises.
        #[arg(long)]
        id: String,
    },
}

pub fn run(a: ServeArgs) -> Result<(), Failure> {
    if let Some(ServeCommand::Key { id }) = &a.command {
        let (key, entry) = yizhengtong::serve::guard::new_api_key(id, &mut rand::rng());
        // the entry is checked as the service will read it
        let parsed: yizhengtong::serve::guard::ApiKeyConfig =
            serde_json::from_str(&entry).map_err(|e| Error::param("id", e.to_string()))?;
        yizhengtong::serve::guard::ApiKeys::from_config(&[parsed])?;
        println!("{key}");
        eprintln!("add to \"api_keys\" in the configuration: {entry}");
        return Ok(());
    }
    let config_path = a
        .config
        .clone()
        .ok_or_else(|| Error::param("config", "--config FILE is needed"))?;
    let (config, base) = ServiceConfig::from_file(&config_path)?;
    let loaded = config.load(&base)?;
    let listening = loaded.listener.clone();
    // a database seals the decrypt action's secrets with a key derived
    // from the platform key, the same in every instance
    let store = AnyStore::open_sealed(&a.backend, Some(loaded.sealing_key()))?;
    let service = Arc::new(Service::new(loaded, store)?);
    let workers = a
        .workers
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::param("server", e.to_string()))?;
    // Keep a reference outside the runtime so that the store (a database
    // client) is dropped after it, not on an async worker.
    let keep = Arc::clone(&service);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .map_err(|e| Error::param("listen", format!("{}: {e}", a.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::param("listen", e.to_string()))?;
        eprintln!(
            "{}",
            serde_json::json!({
                "event": "listening",
                "url": format!("{}://{addr}", listening.scheme()),
                "max_connections": listening.max_connections(),
                "open_file_limit": yizhengtong::serve::listen::open_file_limit(),
                "platform_code": service.verifier().config().platform_code,
                "backend": a.backend_redacted(),
            })
        );
        yizhengtong::serve::serve(
            listener,
            service,
            &listening,
            yizhengtong::serve::shutdown_signal(),
        )
        .await?;
        eprintln!("{}", serde_json::json!({"event": "stopped"}));
        Ok::<(), Error>(())
    })?;
    drop(runtime);
    drop(keep);
    Ok(())
}

impl ServeArgs {
    fn backend_redacted(&self) -> String {
        #[cfg(feature = "postgres")]
        {
            yizhengtong::store::postgres::redact_url(&self.backend)
        }
        #[cfg(not(feature = "postgres"))]
        {
            self.backend.clone()
        }
    }
}
