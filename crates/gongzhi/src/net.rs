//! The HTTP server's accept loop. `axum::serve` neither times out a client
//! that sends half a request header nor bounds the number of connections,
//! so a few hundred idle sockets made the server unreachable. Here each
//! connection is driven by hyper with a header-read timeout (which also
//! closes a keep-alive connection that sends nothing for that long), at most
//! `max_connections` are served at once (at the cap the loop stops accepting
//! until one ends; new clients wait in the kernel's backlog), every request
//! carries the peer's `ConnectInfo<SocketAddr>` (the sign-in throttle uses
//! it), and shutdown lets open requests finish for a while.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send a complete request header within this time of
    /// connecting (or of its previous response), else the connection closes.
    pub header_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Connections one address may hold at once (0: no bound). Slow clients
    /// — a header or a body sent a byte at a time — from one address then
    /// cannot take every slot. Trusted proxies are exempt (see `serve_with`).
    pub per_address: usize,
    /// How long shutdown waits for open connections.
    pub grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
            per_address: 64,
            grace: Duration::from_secs(10),
        }
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then wait up to
/// `limits.grace` for open connections.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, app, limits, |_| false, shutdown).await
}

/// `serve`, with the addresses `exempt` from the per-address bound (the
/// trusted proxies every client comes through).
pub async fn serve_with(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    exempt: impl Fn(std::net::IpAddr) -> bool,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address: Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>> = Default::default();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the connection semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // IPv6 clients are counted by their /64, as the sign-in throttle does:
        // one host holds a whole /64.
        let ip = match peer.ip() {
            std::net::IpAddr::V6(v6) => {
                let s = v6.segments();
                std::net::IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
            v4 => v4,
        };
        let counted = limits.per_address > 0 && !exempt(peer.ip());
        if counted {
            let mut held = per_address.lock().expect("per-address lock");
            let n = held.entry(ip).or_default();
            if *n >= limits.per_address {
                // Closed at once: this address already holds its share.
                drop(stream);
                continue;
            }
            *n += 1;
        }
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        let per_address = per_address.clone();
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            if counted {
                let mut held = per_address.lock().expect("per-address lock");
                if let Some(n) = held.get_mut(&ip) {
                    *n -= 1;
                    if *n == 0 {
                        held.remove(&ip);
                    }
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.grace) => tracing::warn!("connections still open at shutdown; closing them"),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
