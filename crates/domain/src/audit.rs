//! The audit chain: each row's hash covers its content and the previous
//! row's hash, so changing, inserting or deleting a row breaks the chain
//! from that row on.

use sha2::{Digest, Sha256};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit row, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: i64,
    /// RFC 3339 UTC, microsecond precision (what both backends store exactly).
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// Hex SHA-256 of the previous hash and the fields, each length-prefixed so
/// no two different rows can hash the same text.
pub fn hash(prev: &str, e: &Entry) -> String {
    let mut h = Sha256::new();
    for part in [prev, &e.id.to_string(), e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(after: &str) -> Entry<'_> {
        Entry {
            id: 1,
            at: "2026-01-01T00:00:00.000000Z",
            actor: "admin",
            action: "create",
            entity: "compound",
            entity_id: "1",
            before: "",
            after,
        }
    }

    #[test]
    fn any_change_changes_the_hash() {
        let a = hash(GENESIS, &e("{\"name\":\"甲\"}"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, hash(GENESIS, &e("{\"name\":\"乙\"}")));
        assert_ne!(a, hash(&a, &e("{\"name\":\"甲\"}")), "the previous hash is part of it");
        // Moving text between fields changes it too (length prefixes).
        let mut moved = e("");
        moved.before = "{\"name\":\"甲\"}";
        assert_ne!(a, hash(GENESIS, &moved));
    }
}

/// Who made a change: a user, or the system (command line, demo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    pub login: String,
}

impl Actor {
    pub fn system(what: &str) -> Actor {
        Actor { id: None, login: format!("system:{what}") }
    }
}
