//! `atelier`: run the whole stack locally, or an operator command.

use atelier_core::Ctx;
use atelier_core::config::{Backend, Config};
use atelier_core::ports::SystemClock;
use atelier_local::{Application, JOBS, run_job};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "atelier",
    version,
    about = "Atelier's whole stack in one process"
)]
struct Cli {
    /// Listen address.
    #[arg(
        long,
        env = "ATELIER_ADDR",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    addr: String,
    /// Data directory of the embedded backend.
    #[arg(
        long,
        env = "ATELIER_DATA_DIR",
        default_value = ".atelier",
        global = true
    )]
    data_dir: PathBuf,
    /// `embedded` (default) or `aws`.
    #[arg(
        long,
        env = "ATELIER_BACKEND",
        default_value = "embedded",
        global = true
    )]
    backend: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every route, consumer and schedule (the default).
    Serve,
    /// Run a scheduled job once, now (`atelier run-job --list` names them).
    RunJob {
        name: Option<String>,
        #[arg(long)]
        list: bool,
    },
    /// Make the account with this email a platform operator (super_admin).
    GrantSuperAdmin { email: String },
    /// Move every message from each DLQ back to its queue (embedded backend).
    RedriveDlq,
    /// Print the OpenAPI document the code generates (`cargo xtask openapi` writes it to
    /// `shared/openapi.json`, which `/openapi.json` serves).
    Openapi,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("atelier: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if matches!(cli.command, Some(Command::Openapi)) {
        println!("{}", atelier_core::http::openapi::pretty());
        return Ok(());
    }
    atelier_core::telemetry::init();
    // Flags override the environment; everything else comes from it.
    let mut config = Config::from_env().map_err(|e| e.to_string())?;
    config.backend = cli.backend.parse::<Backend>().map_err(|e| e.to_string())?;
    config.data_dir = cli.data_dir;
    if config.backend == Backend::Aws && config.aws.is_none() {
        // Re-read so the aws backend's required variables are checked and named.
        config.aws = Config::from_lookup(|k| {
            if k == "ATELIER_BACKEND" {
                Some("aws".into())
            } else {
                std::env::var(k).ok()
            }
        })
        .map_err(|e| e.to_string())?
        .aws;
    }
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Serve = command {
        let app = Application::build(config, &cli.addr)
            .await
            .map_err(|e| e.to_string())?;
        return serve(app).await;
    }
    // Operator commands need the ports, not the server.
    let ctx = Ctx::build(config, Arc::new(SystemClock))
        .await
        .map_err(|e| e.to_string())?;
    match command {
        Command::Serve | Command::Openapi => unreachable!("handled above"),
        Command::RunJob { list: true, .. } | Command::RunJob { name: None, .. } => {
            for (name, about) in JOBS {
                println!("{name}\t{about}");
            }
            Ok(())
        }
        Command::RunJob {
            name: Some(name), ..
        } => {
            println!("{}", run_job(&ctx, &name).await?);
            Ok(())
        }
        Command::GrantSuperAdmin { email } => {
            let user = atelier_core::app::platform::grant_operator(&ctx, &email)
                .await
                .map_err(|e| format!("{e} (is there an account with that email?)"))?;
            println!("{email} ({user}) is now a platform operator");
            Ok(())
        }
        Command::RedriveDlq => {
            let Some(e) = &ctx.embedded else {
                return Err(
                    "with the aws backend, use SQS's DLQ redrive (StartMessageMoveTask)".into(),
                );
            };
            let queues = [
                ("gmail-sync", &e.gmail_sync_dlq, &e.gmail_sync),
                ("exports", &e.exports_dlq, &e.exports),
                ("mail", &e.mail_dlq, &e.mail),
            ];
            for (name, dlq, queue) in queues {
                let moved = dlq.redrive_to(queue).await.map_err(|e| e.to_string())?;
                println!("moved {moved} messages back to {name}");
            }
            Ok(())
        }
    }
}

async fn serve(app: Application) -> Result<(), String> {
    let addr = app.addr();
    let running = app.start();
    let backend = running.ctx.config.backend.as_str();
    let data_dir = running.ctx.config.data_dir.display().to_string();
    say(&format!(
        "Atelier is listening on http://{addr} (backend: {backend}, data: {data_dir})"
    ));
    say(&format!("Try: curl http://{addr}/health    Stop: Ctrl-C"));
    shutdown_signal().await;
    say("Shutting down: finishing in-flight work…");
    running.shutdown().await;
    say("Stopped.");
    Ok(())
}

/// Prints a status line; a closed stdout (a detached supervisor) must not stop the server.
fn say(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
