//! Downloads over loopback: resume, restart, verification, cache, parallelism.

use super::super::testserver::{Reply, TestServer};
use super::*;

#[tokio::test]
async fn a_cut_body_resumes_with_a_range_request() {
    let server = TestServer::start().await;
    let data = content(300_000, 1);
    server.script(
        "/assets/1",
        vec![
            Reply::error(503, "busy", vec![]),
            Reply::File {
                data: data.clone(),
                ranges: true,
                cut_after: Some(120_000),
                delay: Duration::ZERO,
            },
            Reply::file(&data, true),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, recorder) = fetcher(dir.path(), 2);
    let got = fetcher
        .fetch_one(&request(&server, "/assets/1", &data))
        .await
        .unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), *data);
    assert_eq!(got.sha256, sha(&data));
    assert_eq!((got.size, got.from_cache), (300_000, false));
    let ranges: Vec<_> = server
        .seen("/assets/1")
        .iter()
        .map(|s| s.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, [None, None, Some("bytes=120000-".to_string())]);
    let events = recorder.events();
    assert!(events.contains(&Event::Started {
        label: "assets/1".to_string(),
        total: Some(300_000),
        resumed_from: 120_000,
    }));
    assert_eq!(*recorder.progress.lock().unwrap(), 300_000);
    assert!(!fetcher
        .cache()
        .partial_path(&request(&server, "/assets/1", &data).key)
        .exists());
}

#[tokio::test]
async fn a_200_answer_to_a_range_request_restarts_cleanly() {
    let server = TestServer::start().await;
    let data = content(50_000, 2);
    server.script("/assets/2", vec![Reply::file(&data, false)]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let req = request(&server, "/assets/2", &data);
    // Stale bytes from an earlier run that do not match the file.
    std::fs::write(fetcher.cache().partial_path(&req.key), b"stale stale").unwrap();
    let got = fetcher.fetch_one(&req).await.unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), *data);
    let seen = server.seen("/assets/2");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("range"), Some("bytes=11-"));
}

#[tokio::test]
async fn a_416_answer_starts_over() {
    let server = TestServer::start().await;
    let data = content(1_000, 3);
    server.script("/assets/3", vec![Reply::file(&data, true)]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let mut req = request(&server, "/assets/3", &data);
    req.expected_size = None;
    // A partial longer than the file: the server refuses the range.
    std::fs::write(fetcher.cache().partial_path(&req.key), vec![0u8; 2_000]).unwrap();
    let got = fetcher.fetch_one(&req).await.unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), *data);
    let ranges: Vec<_> = server
        .seen("/assets/3")
        .iter()
        .map(|s| s.header("range").map(str::to_string))
        .collect();
    assert_eq!(ranges, [Some("bytes=2000-".to_string()), None]);
}

#[tokio::test]
async fn a_partial_left_by_a_killed_run_is_resumed() {
    let server = TestServer::start().await;
    let data = content(200_000, 4);
    server.script("/assets/4", vec![Reply::file(&data, true)]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, recorder) = fetcher(dir.path(), 2);
    let req = request(&server, "/assets/4", &data);
    std::fs::write(fetcher.cache().partial_path(&req.key), &data[..50_000]).unwrap();
    let got = fetcher.fetch_one(&req).await.unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), *data);
    assert_eq!(got.sha256, sha(&data));
    let seen = server.seen("/assets/4");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("range"), Some("bytes=50000-"));
    assert_eq!(*recorder.progress.lock().unwrap(), 150_000);
}

#[tokio::test]
async fn an_interrupted_download_keeps_its_partial_for_the_next_run() {
    let server = TestServer::start().await;
    let data = content(100_000, 5);
    let cut = Reply::File {
        data: data.clone(),
        ranges: false,
        cut_after: Some(30_000),
        delay: Duration::ZERO,
    };
    server.script("/assets/5", vec![cut]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let req = request(&server, "/assets/5", &data);
    let err = fetcher.fetch_one(&req).await.unwrap_err();
    assert!(matches!(err, FetchError::Interrupted { .. }), "{err:?}");
    assert!(err.to_string().contains("run again to resume"), "{err}");
    let partial = fetcher.cache().partial_path(&req.key);
    assert_eq!(std::fs::read(&partial).unwrap(), data[..30_000]);
    // The next run resumes from there.
    server.script("/assets/5", vec![Reply::file(&data, true)]);
    let got = fetcher.fetch_one(&req).await.unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), *data);
    let last = server.seen("/assets/5").pop().unwrap();
    assert_eq!(last.header("range"), Some("bytes=30000-"));
}

#[tokio::test]
async fn a_second_fetch_of_the_same_key_makes_no_request() {
    let server = TestServer::start().await;
    let data = content(10_000, 6);
    server.script("/assets/6", vec![Reply::file(&data, true)]);
    let dir = tempfile::tempdir().unwrap();
    let req = request(&server, "/assets/6", &data);
    let (first, _) = fetcher(dir.path(), 2);
    let downloaded = first.fetch_one(&req).await.unwrap();
    assert!(!downloaded.from_cache);
    // A new fetcher on the same directory, as a later run would have.
    let (second, recorder) = fetcher(dir.path(), 2);
    let cached = second.fetch_one(&req).await.unwrap();
    assert!(cached.from_cache);
    assert_eq!(cached.path, downloaded.path);
    assert_eq!(server.seen("/assets/6").len(), 1);
    assert_eq!(
        recorder.events(),
        [Event::Finished {
            label: "assets/6".to_string(),
            from_cache: true
        }]
    );
}

#[tokio::test]
async fn a_digest_mismatch_fails_and_leaves_no_blob() {
    let server = TestServer::start().await;
    let data = content(20_000, 7);
    server.script("/assets/7", vec![Reply::file(&data, true)]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let mut req = request(&server, "/assets/7", &data);
    let wrong = sha(b"something else");
    req.expected_sha256 = Some(format!("sha256:{wrong}"));
    let err = fetcher.fetch_one(&req).await.unwrap_err();
    let FetchError::DigestMismatch {
        url,
        expected,
        actual,
    } = &err
    else {
        panic!("expected a digest mismatch, got {err:?}");
    };
    assert_eq!((url, expected, actual), (&req.url, &wrong, &sha(&data)));
    assert!(err.to_string().contains(&wrong) && err.to_string().contains(&sha(&data)));
    assert!(!fetcher.cache().partial_path(&req.key).exists());
    assert!(!fetcher.cache().blob_path(&sha(&data)).exists());
    assert_eq!(fetcher.cache().lookup(&req.key), None);
}

#[tokio::test]
async fn a_size_mismatch_fails_and_leaves_no_blob() {
    let server = TestServer::start().await;
    let data = content(20_000, 8);
    server.script("/assets/8", vec![Reply::file(&data, true)]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let mut req = request(&server, "/assets/8", &data);
    req.expected_size = Some(10_000);
    let err = fetcher.fetch_one(&req).await.unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::SizeMismatch {
                expected: 10_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!fetcher.cache().partial_path(&req.key).exists());
    assert_eq!(fetcher.cache().lookup(&req.key), None);
}

#[tokio::test]
async fn parallel_fetches_come_back_in_input_order() {
    let server = TestServer::start().await;
    let files: Vec<_> = (0..5u8)
        .map(|i| {
            (
                format!("/assets/p{i}"),
                content(5_000 + usize::from(i) * 1_000, 10 + i),
            )
        })
        .collect();
    for (i, (path, data)) in files.iter().enumerate() {
        // The first files answer slowest, so they finish last; the first by
        // a wide margin, so a loaded machine cannot reorder it.
        let delay = match i {
            0 => Duration::from_millis(800),
            _ => Duration::from_millis(50 * (5 - i as u64)),
        };
        server.script(
            path,
            vec![Reply::File {
                data: data.clone(),
                ranges: true,
                cut_after: None,
                delay,
            }],
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, recorder) = fetcher(dir.path(), 3);
    // One file is in the cache already.
    let cached = request(&server, &files[2].0, &files[2].1);
    fetcher.fetch_one(&cached).await.unwrap();
    let requests: Vec<_> = files
        .iter()
        .map(|(path, data)| request(&server, path, data))
        .collect();
    let got = fetcher.fetch_all(requests).await.unwrap();
    assert_eq!(got.len(), 5);
    for ((path, data), got) in files.iter().zip(&got) {
        assert_eq!(std::fs::read(&got.path).unwrap(), **data, "{path}");
        assert_eq!(got.from_cache, path.ends_with("p2"), "{path}");
        assert_eq!(server.seen(path).len(), 1, "{path}");
    }
    // The slow first file finished after faster later ones.
    let finished: Vec<_> = recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Finished {
                label,
                from_cache: false,
            } => Some(label),
            _ => None,
        })
        .collect();
    assert_eq!(finished.first().map(String::as_str), Some("assets/p2"));
    assert_eq!(finished.last().map(String::as_str), Some("assets/p0"));
}

#[tokio::test]
async fn fetch_all_stops_at_the_first_hard_error() {
    let server = TestServer::start().await;
    let data = content(1_000, 20);
    server.script("/assets/ok", vec![Reply::file(&data, true)]);
    server.script("/assets/gone", vec![Reply::error(404, "Not Found", vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let (fetcher, _) = fetcher(dir.path(), 2);
    let requests = vec![
        request(&server, "/assets/ok", &data),
        request(&server, "/assets/gone", &data),
    ];
    let err = fetcher.fetch_all(requests).await.unwrap_err();
    let FetchError::Http { source, .. } = &err else {
        panic!("expected an HTTP error, got {err:?}");
    };
    assert_eq!(source.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(server.seen("/assets/gone").len(), 1);
}
