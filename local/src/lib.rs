//! `atelier-local`: the whole stack in one process — every route on one port, every queue
//! consumer and every schedule — on the embedded adapters (or, with the aws backend, on AWS).

mod schedule;
mod server;

use atelier_core::Ctx;
use atelier_core::config::Config;
use atelier_core::ports::{Clock, SystemClock};
use atelier_core::workers::export::ExportWorker;
use atelier_core::workers::gmail_sync::GmailSyncWorker;
use atelier_core::workers::mail::MailWorker;
use atelier_core::workers::poller;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use schedule::{JOBS, run_job};

#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error(transparent)]
    Config(#[from] atelier_core::config::ConfigError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// A built stack, listening but not yet serving.
pub struct Application {
    ctx: Ctx,
    listener: TcpListener,
    addr: SocketAddr,
}

/// A running stack.
pub struct Running {
    pub addr: SocketAddr,
    pub ctx: Ctx,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Application {
    /// Builds the ports and binds `addr` (port 0 picks a free port).
    pub async fn build(config: Config, addr: &str) -> Result<Self, LocalError> {
        Self::build_with_clock(config, addr, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        config: Config,
        addr: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LocalError> {
        Self::from_ctx(Ctx::build(config, clock).await?, addr).await
    }

    /// Serves an already built `Ctx` (the aws backend on an emulator, in tests).
    pub async fn from_ctx(ctx: Ctx, addr: &str) -> Result<Self, LocalError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| LocalError::Bind {
                addr: addr.into(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| LocalError::Bind {
            addr: addr.into(),
            source,
        })?;
        Ok(Self {
            ctx,
            listener,
            addr,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts the HTTP server, the queue consumers and the schedules.
    pub fn start(self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let tasks = vec![
            tokio::spawn(server::serve(
                self.ctx.clone(),
                self.listener,
                stopped.clone(),
            )),
            tokio::spawn(poller::poll(
                self.ctx.clone(),
                self.ctx.queues.gmail_sync.clone(),
                Arc::new(GmailSyncWorker),
                stopped.clone(),
            )),
            tokio::spawn(poller::poll(
                self.ctx.clone(),
                self.ctx.queues.exports.clone(),
                Arc::new(ExportWorker),
                stopped.clone(),
            )),
            tokio::spawn(poller::poll(
                self.ctx.clone(),
                self.ctx.queues.mail.clone(),
                Arc::new(MailWorker),
                stopped.clone(),
            )),
            tokio::spawn(schedule::run(self.ctx.clone(), stopped)),
        ];
        Running {
            addr: self.addr,
            ctx: self.ctx,
            stop,
            tasks,
        }
    }
}

impl Running {
    /// Stops taking work, lets in-flight requests and batches finish, then returns. Nothing
    /// acknowledged is lost: every write was committed before it was acknowledged, and
    /// unfinished queue messages stay queued for the next start.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}
