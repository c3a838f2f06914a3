//! What this process keeps for a few seconds instead of asking the database
//! on every request: signed-in users, problem categories, compounds being
//! reported in. An entry is used only while the database's scope epoch is
//! unchanged (any committed change of accounts, grants, sessions, the
//! registry or configuration made by this process advances it) and for at
//! most `CACHE_TTL`, the delay before another process's change (the CLI)
//! counts here.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// See the module.
pub const CACHE_TTL: Duration = Duration::from_secs(5);

/// Bounded: past this many entries a cache starts afresh.
const MAX_ENTRIES: usize = 10_000;

pub struct Kept<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
}

struct Entry<V> {
    value: V,
    epoch: u64,
    at: Instant,
    /// When the thing itself ends (a session), if before `CACHE_TTL`.
    until: Option<DateTime<Utc>>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Kept { entries: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash, V: Clone> Kept<K, V> {
    pub fn get(&self, key: &K, epoch: u64) -> Option<V> {
        let map = self.entries.lock().expect("cache lock");
        let e = map.get(key)?;
        let fresh = e.epoch == epoch && e.at.elapsed() < CACHE_TTL && e.until.is_none_or(|u| Utc::now() < u);
        fresh.then(|| e.value.clone())
    }

    /// Keep `value`, read while the epoch was `epoch` (read it before the database).
    pub fn put(&self, key: K, value: V, epoch: u64, until: Option<DateTime<Utc>>) {
        let mut map = self.entries.lock().expect("cache lock");
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, Entry { value, epoch, at: Instant::now(), until });
    }
}
