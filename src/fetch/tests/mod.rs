//! The engine over real loopback HTTP against `testserver`: the client's
//! retries, rate limits and pagination (`http`), and resume, the cache and
//! parallel downloads (`download`). Shared here: a recording reporter and
//! request builders.

mod download;
mod http;

use super::testserver::TestServer;
use super::*;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Started {
        label: String,
        total: Option<u64>,
        resumed_from: u64,
    },
    Finished {
        label: String,
        from_cache: bool,
    },
    Retrying {
        attempt: u32,
        reason: String,
    },
    RateLimited(RateLimitKind, Duration),
}

#[derive(Default)]
struct Recorder {
    events: Mutex<Vec<Event>>,
    progress: Mutex<u64>,
}

impl Recorder {
    fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }
    fn retries(&self) -> usize {
        let events = self.events();
        events
            .iter()
            .filter(|e| matches!(e, Event::Retrying { .. }))
            .count()
    }
}

impl Reporter for Recorder {
    fn download_started(&self, label: &str, total: Option<u64>, resumed_from: u64) {
        self.events.lock().unwrap().push(Event::Started {
            label: label.to_string(),
            total,
            resumed_from,
        });
    }
    fn download_progress(&self, _label: &str, delta: u64) {
        *self.progress.lock().unwrap() += delta;
    }
    fn download_finished(&self, label: &str, from_cache: bool) {
        self.events.lock().unwrap().push(Event::Finished {
            label: label.to_string(),
            from_cache,
        });
    }
    fn retrying(&self, _what: &str, attempt: u32, _wait: Duration, reason: &str) {
        self.events.lock().unwrap().push(Event::Retrying {
            attempt,
            reason: reason.to_string(),
        });
    }
    fn rate_limited(&self, kind: RateLimitKind, wait: Duration) {
        self.events
            .lock()
            .unwrap()
            .push(Event::RateLimited(kind, wait));
    }
}

fn config(max_retries: u32) -> HttpConfig {
    HttpConfig {
        token: Some("t0k".to_string()),
        max_retries,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(40),
        timeout: Duration::from_secs(5),
        ..HttpConfig::default()
    }
}

fn client(max_retries: u32) -> (HttpClient, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let http = HttpClient::new(config(max_retries), recorder.clone()).unwrap();
    (http, recorder)
}

fn fetcher(cache_dir: &std::path::Path, jobs: usize) -> (Fetcher, Arc<Recorder>) {
    let (http, recorder) = client(3);
    let cache = Cache::open(cache_dir).unwrap();
    (Fetcher::new(http, cache, jobs), recorder)
}

/// Deterministic, non-repeating test content.
fn content(len: usize, seed: u8) -> Arc<Vec<u8>> {
    let mut state = u32::from(seed) + 1;
    Arc::new(
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect(),
    )
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn request(server: &TestServer, path: &str, data: &[u8]) -> DownloadRequest {
    DownloadRequest {
        key: format!("{path}#{}", data.len()),
        url: server.url(path),
        accept: "application/octet-stream".to_string(),
        expected_size: Some(data.len() as u64),
        expected_sha256: Some(format!("sha256:{}", sha(data))),
        label: path.trim_start_matches('/').to_string(),
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
