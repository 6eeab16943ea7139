//! Serving a simulator's axum app on its bound listener until told to stop,
//! the part the in-process simulators share; what each one serves is its own.

use tokio::sync::oneshot;

/// A spawned server that stops gracefully on [`Serving::stop`] or when dropped.
pub(crate) struct Serving {
    stop: Option<oneshot::Sender<()>>,
}

impl Serving {
    /// Serves `app` on `listener` on the current tokio runtime; `what`
    /// names the simulator in the warning logged if serving fails.
    pub(crate) fn spawn(
        listener: tokio::net::TcpListener,
        app: axum::Router,
        what: &'static str,
    ) -> Serving {
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                tracing::warn!(%err, "{what} stopped");
            }
        });
        Serving { stop: Some(stop) }
    }

    /// Stops serving (once; later calls do nothing).
    pub(crate) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.stop();
    }
}
