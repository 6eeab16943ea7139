//! How long the simulated cluster was busy: the wall time during which at
//! least one request was being handled or a simulated controller was at
//! work, its simulated durations included (overlaps count once), plus the
//! request count and the summed per-request service time.
//!
//! Benchmarks subtract the busy time from a client's wall time to see the
//! client's own overhead. Serving the figures over HTTP is `router`'s job;
//! timing each request is `handlers`'.

use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The figures so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct BusyStats {
    /// Requests handled.
    pub requests: u64,
    /// Wall time with at least one request in service or a controller at
    /// work, in seconds.
    pub busy_seconds: f64,
    /// The sum of every request's service time, in seconds (exceeds
    /// `busy_seconds` when requests overlap).
    pub service_seconds: f64,
}

#[derive(Default)]
struct Inner {
    in_flight: u32,
    since: Option<Instant>,
    busy: Duration,
    service: Duration,
    requests: u64,
}

/// The accumulator shared by every request.
#[derive(Default)]
pub(crate) struct Busy(Mutex<Inner>);

/// One request in service or one piece of controller work; finishing it
/// is dropping it.
pub(crate) struct InService<'a> {
    busy: &'a Busy,
    started: Instant,
    request: bool,
}

impl Busy {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks a request as started.
    pub fn enter(&self) -> InService<'_> {
        self.start(true)
    }

    /// Marks controller work (a simulated rollout or install) as started.
    pub fn working(&self) -> InService<'_> {
        self.start(false)
    }

    fn start(&self, request: bool) -> InService<'_> {
        let started = Instant::now();
        let mut inner = self.lock();
        if inner.in_flight == 0 {
            inner.since = Some(started);
        }
        inner.in_flight += 1;
        InService {
            busy: self,
            started,
            request,
        }
    }

    /// The figures so far (a busy period still open counts up to now).
    pub fn stats(&self) -> BusyStats {
        let inner = self.lock();
        let open = inner.since.map(|s| s.elapsed()).unwrap_or_default();
        BusyStats {
            requests: inner.requests,
            busy_seconds: (inner.busy + open).as_secs_f64(),
            service_seconds: inner.service.as_secs_f64(),
        }
    }
}

impl Drop for InService<'_> {
    fn drop(&mut self) {
        let now = Instant::now();
        let mut inner = self.busy.lock();
        if self.request {
            inner.requests += 1;
            inner.service += now - self.started;
        }
        inner.in_flight = inner.in_flight.saturating_sub(1);
        if inner.in_flight == 0 {
            if let Some(since) = inner.since.take() {
                inner.busy += now - since;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_requests_count_once_in_busy_time() {
        let busy = Busy::default();
        let t0 = Instant::now();
        let a = busy.enter();
        std::thread::sleep(Duration::from_millis(20));
        let b = busy.enter();
        std::thread::sleep(Duration::from_millis(20));
        drop(a);
        drop(b);
        let active = t0.elapsed().as_secs_f64();
        std::thread::sleep(Duration::from_millis(30));
        let stats = busy.stats();
        assert_eq!(stats.requests, 2);
        assert!(stats.busy_seconds >= 0.040, "{stats:?}");
        // The idle time after the last request does not count.
        assert!(stats.busy_seconds <= active, "{stats:?} vs {active}");
        // a: at least 40 ms, b: at least 20 ms.
        assert!(stats.service_seconds >= 0.060, "{stats:?}");
    }

    #[test]
    fn controller_work_is_busy_time_but_no_request() {
        let busy = Busy::default();
        let work = busy.working();
        std::thread::sleep(Duration::from_millis(20));
        drop(work);
        let stats = busy.stats();
        assert_eq!(stats.requests, 0);
        assert_eq!(stats.service_seconds, 0.0);
        assert!(stats.busy_seconds >= 0.020, "{stats:?}");
    }
}
