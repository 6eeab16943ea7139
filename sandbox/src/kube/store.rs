//! The object store of the simulated cluster: objects in their storage shape,
//! the global resourceVersion counter, a bounded event history and the
//! broadcast that feeds watches and controllers.
//!
//! It knows nothing about HTTP, validation or field ownership (see `ops`,
//! `apply`); it only keeps objects and tells who changed what.

use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Events kept for watches that resume from a resourceVersion.
const HISTORY: usize = 4096;

/// Where an object lives: storage group, plural resource, namespace, name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Key {
    /// Storage group (shared across API versions).
    pub group: String,
    /// Plural resource name.
    pub plural: String,
    /// Namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl Key {
    /// Builds a key.
    pub fn new(group: &str, plural: &str, namespace: Option<&str>, name: &str) -> Self {
        Key {
            group: group.into(),
            plural: plural.into(),
            namespace: namespace.unwrap_or_default().into(),
            name: name.into(),
        }
    }
}

/// What happened to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventType {
    /// Created.
    Added,
    /// Changed.
    Modified,
    /// Removed.
    Deleted,
}

/// One change, as watches see it.
#[derive(Clone, Debug)]
pub(crate) struct Event {
    /// The change.
    pub kind: EventType,
    /// The object's key.
    pub key: Key,
    /// The object after the change (before it, for deletions), storage shape.
    pub object: Value,
    /// The object before a modification (selector watches turn changes
    /// into ADDED/DELETED when an object starts or stops matching).
    pub previous: Option<Value>,
    /// resourceVersion of the change.
    pub rv: u64,
}

/// A watch's starting point: past events to replay, then live ones.
pub(crate) type Subscription = (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>);

/// Objects, resourceVersions and the event fan-out.
pub(crate) struct Store {
    objects: BTreeMap<Key, Value>,
    rv: u64,
    history: VecDeque<Arc<Event>>,
    compacted: u64,
    tx: broadcast::Sender<Arc<Event>>,
}

impl Store {
    /// An empty store.
    pub fn new() -> Self {
        let (tx, _) = broadcast::channel(4096);
        Store {
            objects: BTreeMap::new(),
            rv: 0,
            history: VecDeque::new(),
            compacted: 0,
            tx,
        }
    }

    /// The current global resourceVersion.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// One object.
    pub fn get(&self, key: &Key) -> Option<&Value> {
        self.objects.get(key)
    }

    /// Objects of one storage group/resource, optionally in one namespace.
    pub fn list(&self, group: &str, plural: &str, namespace: Option<&str>) -> Vec<(&Key, &Value)> {
        self.objects
            .iter()
            .filter(|(k, _)| k.group == group && k.plural == plural)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
            .collect()
    }

    /// Every object.
    pub fn all(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.objects.iter()
    }

    /// Stores `obj` under `key` with a new resourceVersion, or removes it when
    /// it is being deleted and has no finalizers left. Returns what was stored.
    pub fn put(&mut self, key: Key, mut obj: Value) -> Value {
        let deleting = obj.pointer("/metadata/deletionTimestamp").is_some()
            && obj
                .pointer("/metadata/finalizers")
                .and_then(Value::as_array)
                .is_none_or(|f| f.is_empty());
        if deleting {
            return self.remove(&key).unwrap_or(obj);
        }
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        let previous = self.objects.insert(key.clone(), obj.clone());
        let kind = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.emit(kind, key, obj.clone(), previous);
        obj
    }

    /// Removes an object now, whatever its finalizers.
    pub fn remove(&mut self, key: &Key) -> Option<Value> {
        let mut obj = self.objects.remove(key)?;
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.emit(EventType::Deleted, key.clone(), obj.clone(), None);
        Some(obj)
    }

    fn emit(&mut self, kind: EventType, key: Key, object: Value, previous: Option<Value>) {
        let event = Arc::new(Event {
            kind,
            key,
            object,
            previous,
            rv: self.rv,
        });
        self.history.push_back(event.clone());
        while self.history.len() > HISTORY {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.rv;
            }
        }
        // Nobody listening is fine.
        let _ = self.tx.send(event);
    }

    /// Forgets the history so far, as etcd compaction does: watches from an
    /// older resourceVersion get 410 Gone.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    /// Live events only (controllers).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Events after `since` plus the live feed; `Err(since)` when the
    /// history no longer reaches back that far.
    pub fn subscribe_since(&self, since: u64) -> Result<Subscription, u64> {
        if since < self.compacted {
            return Err(since);
        }
        let past = self
            .history
            .iter()
            .filter(|e| e.rv > since)
            .cloned()
            .collect();
        Ok((past, self.tx.subscribe()))
    }
}
