use super::*;
use crate::cluster::state_test_support::sim;
use ferry_sandbox::kube::KubeFaults;

const NS: &str = "kyma-installer";

#[tokio::test]
async fn an_absent_journal_reads_empty_and_the_first_update_creates_it() {
    let (sim, client) = sim(Some("1.0.0")).await;
    let journal = Journal::new(client, NS);
    assert_eq!(journal.read().await.unwrap(), JournalState::default());
    assert!(sim.get("v1", "ConfigMap", Some(NS), JOURNAL_NAME).is_none());

    journal
        .update(|s| {
            s.product = Some("kyma".into());
            Ok(())
        })
        .await
        .unwrap();
    journal
        .record_hop("b1", "1.1.0", HopStatus::Started, None)
        .await
        .unwrap();
    journal.acknowledge("1.1.0").await.unwrap();
    journal.acknowledge("1.1.0").await.unwrap();
    journal
        .record_hop("b1", "1.1.0", HopStatus::Done, None)
        .await
        .unwrap();
    journal
        .record_hop(
            "b1",
            "1.2.2",
            HopStatus::Failed,
            Some("installer gave up".into()),
        )
        .await
        .unwrap();

    let state = journal.read().await.unwrap();
    assert_eq!(state.product.as_deref(), Some("kyma"));
    assert_eq!(state.bundle_id.as_deref(), Some("b1"));
    assert_eq!(state.acknowledged, vec!["1.1.0".to_string()]);
    assert!(state.is_done("1.1.0"));
    assert!(!state.is_done("1.2.2"));
    let failed = state.hop("1.2.2").unwrap();
    assert_eq!(failed.status, HopStatus::Failed);
    assert_eq!(failed.message.as_deref(), Some("installer gave up"));
    let done = state.hop("1.1.0").unwrap();
    assert!(done.started.is_some() && done.finished.is_some());
    assert!(humantime::parse_rfc3339(done.finished.as_deref().unwrap()).is_ok());
    assert_eq!(state.events.len(), 4, "{:?}", state.events);

    // What the cluster stores is the same JSON, in a ferry-labelled ConfigMap.
    let cm = sim.get("v1", "ConfigMap", Some(NS), JOURNAL_NAME).unwrap();
    assert_eq!(
        cm["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "ferry"
    );
    let stored: JournalState =
        serde_json::from_str(cm["data"][JOURNAL_KEY].as_str().unwrap()).unwrap();
    assert_eq!(stored, state);
}

#[tokio::test]
async fn events_are_bounded() {
    let (_sim, client) = sim(None).await;
    let journal = Journal::new(client, "default");
    let state = journal
        .update(|s| {
            s.events = (0..MAX_EVENTS + 50)
                .map(|i| Event {
                    time: now(),
                    message: format!("e{i}"),
                })
                .collect();
            Ok(())
        })
        .await
        .unwrap();
    assert_eq!(state.events.len(), MAX_EVENTS);
    assert_eq!(state.events[0].message, "e50");
    let mut more = journal.read().await.unwrap();
    more.push_event("last");
    assert_eq!(more.events.len(), MAX_EVENTS);
    assert_eq!(more.events[MAX_EVENTS - 1].message, "last");
}

#[tokio::test]
async fn concurrent_updates_all_land_despite_conflicts() {
    let (sim, client) = sim(Some("1.0.0")).await;
    sim.set_faults(KubeFaults {
        conflict_every: Some(3),
        ..KubeFaults::default()
    });
    let tasks: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|who| {
            let journal = Journal::new(client.clone(), NS);
            tokio::spawn(async move {
                for i in 0..8 {
                    let version = format!("{who}{i}");
                    journal
                        .update(|s| {
                            s.acknowledged.push(version.clone());
                            Ok(())
                        })
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut acknowledged = Journal::new(client, NS).read().await.unwrap().acknowledged;
    acknowledged.sort();
    let mut expected: Vec<String> = ["a", "b"]
        .iter()
        .flat_map(|who| (0..8).map(move |i| format!("{who}{i}")))
        .collect();
    expected.sort();
    assert_eq!(acknowledged, expected);
    let conflicts = sim
        .requests()
        .iter()
        .filter(|r| r.path.contains(JOURNAL_NAME) || r.method == "POST")
        .filter(|r| r.status == 409)
        .count();
    assert!(conflicts > 0, "the fault never fired");
}

#[tokio::test]
async fn a_fresh_lock_refuses_a_second_holder_until_broken() {
    let (sim, client) = sim(Some("1.0.0")).await;
    let journal = Journal::new(client, NS);
    let minute = Duration::from_secs(60);
    journal.lock("alice@h pid 1", minute, false).await.unwrap();
    journal.lock("alice@h pid 1", minute, false).await.unwrap();

    let writes = sim.mutations();
    match journal
        .lock("bob@h pid 2", minute, false)
        .await
        .unwrap_err()
    {
        StateError::Locked { holder, since } => {
            assert_eq!(holder, "alice@h pid 1");
            assert!(humantime::parse_rfc3339(&since).is_ok(), "{since}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        sim.mutations(),
        writes,
        "a refused lock wrote to the cluster"
    );

    journal.lock("bob@h pid 2", minute, true).await.unwrap();
    let state = journal.read().await.unwrap();
    assert_eq!(state.lock.as_ref().unwrap().holder, "bob@h pid 2");
    assert!(state.events.iter().any(|e| e.message.contains("broken")));

    let err = journal.heartbeat("alice@h pid 1").await.unwrap_err();
    assert!(
        matches!(err, StateError::NotLockHolder { found: Some(ref f), .. } if f == "bob@h pid 2")
    );
    let err = journal.unlock("alice@h pid 1").await.unwrap_err();
    assert!(matches!(err, StateError::NotLockHolder { .. }));
    journal.heartbeat("bob@h pid 2").await.unwrap();
    journal.unlock("bob@h pid 2").await.unwrap();
    assert_eq!(journal.read().await.unwrap().lock, None);
    journal.unlock("bob@h pid 2").await.unwrap();
    let err = journal.heartbeat("bob@h pid 2").await.unwrap_err();
    assert!(matches!(err, StateError::NotLockHolder { found: None, .. }));
}

#[tokio::test]
async fn a_stale_lock_is_taken_over() {
    let (_sim, client) = sim(Some("1.0.0")).await;
    let journal = Journal::new(client, NS);
    journal
        .lock("alice@h pid 1", Duration::from_secs(60), false)
        .await
        .unwrap();
    journal
        .update(|s| {
            if let Some(lock) = &mut s.lock {
                lock.heartbeat = "2020-01-01T00:00:00Z".into();
            }
            Ok(())
        })
        .await
        .unwrap();
    journal
        .lock("bob@h pid 2", Duration::from_secs(60), false)
        .await
        .unwrap();
    let state = journal.read().await.unwrap();
    assert_eq!(state.lock.unwrap().holder, "bob@h pid 2");
    assert!(state.events.iter().any(|e| e.message.contains("stale")));
}

#[tokio::test]
async fn a_corrupt_journal_is_reported_not_overwritten() {
    let (sim, client) = sim(None).await;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(JOURNAL_NAME.into()),
            ..ObjectMeta::default()
        },
        data: Some(BTreeMap::from([(
            JOURNAL_KEY.to_string(),
            "{not json".to_string(),
        )])),
        ..ConfigMap::default()
    };
    api.create(&PostParams::default(), &cm).await.unwrap();
    let journal = Journal::new(client, "default");
    let err = journal.read().await.unwrap_err();
    assert!(matches!(err, StateError::JournalCorrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("default/ferry-journal"));
    assert!(journal.update(|_| Ok(())).await.is_err());
    let stored = sim
        .get("v1", "ConfigMap", Some("default"), JOURNAL_NAME)
        .unwrap();
    assert_eq!(stored["data"][JOURNAL_KEY], "{not json");
}

#[test]
fn lock_freshness_reads_the_heartbeat() {
    let minute = Duration::from_secs(60);
    let held = |heartbeat: &str| JournalState {
        lock: Some(Lock {
            holder: "alice".into(),
            acquired: "2020-01-01T00:00:00Z".into(),
            heartbeat: heartbeat.into(),
        }),
        ..JournalState::default()
    };
    // A heartbeat from the future (clock skew) is fresh.
    let mut state = held("2999-01-01T00:00:00Z");
    assert!(matches!(
        state.take_lock("bob", minute, false),
        Err(StateError::Locked { .. })
    ));
    assert_eq!(state.lock.as_ref().unwrap().holder, "alice");
    // One that does not parse cannot keep a lock forever.
    let mut state = held("yesterday");
    state.take_lock("bob", minute, false).unwrap();
    assert_eq!(state.lock.as_ref().unwrap().holder, "bob");
    // Just taken: fresh for a minute, stale for a zero window.
    let mut state = held(&now());
    assert!(state.take_lock("bob", minute, false).is_err());
    state.take_lock("bob", Duration::ZERO, false).unwrap();
}
