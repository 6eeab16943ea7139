//! The download engine: an HTTP client that knows GitHub's retry and
//! rate-limit rules, a content-addressed download cache, and a parallel,
//! resumable downloader that reports progress through a trait.
//!
//! It owns the wire and the disk cache. What to download (release assets,
//! guides) is decided by `source` and `plan`; drawing progress is left to
//! `cli` through [`Reporter`]; packing the files is left to `bundle`.

mod cache;
mod download;
mod error;
mod http;
mod partial;
mod policy;
mod report;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod testserver;

pub use cache::{Cache, CacheError, CachedBlob};
pub use download::{DownloadRequest, Downloaded, Fetcher};
pub use error::{root_cause, FetchError, HttpError};
pub use http::{HttpClient, HttpConfig};
pub(crate) use partial::{KeyLock, Partial};
pub use report::{NoReport, RateLimitKind, Reporter};
