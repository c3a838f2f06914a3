//! The audit chain: each row's hash covers its content and the previous
//! row's hash, so changing, inserting or deleting a row breaks the chain
//! from that row on. Deleting the newest rows, or rewriting the whole chain
//! with fresh hashes, leaves a chain that is consistent in itself: those are
//! caught by comparing with a head (the newest row's id and hash) recorded
//! outside the database (`gongzhi audit head`, and the file the server keeps
//! beside its data).

use sha2::{Digest, Sha256};

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit row, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: i64,
    /// RFC 3339 UTC, microsecond precision (what both backends store exactly).
    pub at: &'a str,
    pub actor_id: Option<i64>,
    pub actor: &'a str,
    pub region_path: Option<&'a str>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// The version of `hash` that rows are written with now.
pub const VERSION: i16 = 2;

/// Hex SHA-256 of the previous hash and every column of the row, each
/// length-prefixed (an absent value differs from an empty one) so no two
/// different rows can hash the same text.
pub fn hash(prev: &str, e: &Entry) -> String {
    let id = e.id.to_string();
    let actor_id = e.actor_id.map(|a| a.to_string());
    let mut h = Sha256::new();
    h.update(b"gongzhi-audit-v2");
    let parts = [
        Some(prev),
        Some(id.as_str()),
        Some(e.at),
        actor_id.as_deref(),
        Some(e.actor),
        Some(e.action),
        Some(e.entity),
        Some(e.entity_id),
        e.region_path,
        Some(e.before),
        Some(e.after),
    ];
    for part in parts {
        match part {
            Some(p) => {
                h.update([1u8]);
                h.update((p.len() as u64).to_be_bytes());
                h.update(p.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    hex(&h.finalize())
}

/// The hash rows were written with before every column was hashed (version
/// 1: without the actor's id and the region path). Kept to verify those rows.
pub fn hash_v1(prev: &str, e: &Entry) -> String {
    let mut h = Sha256::new();
    for part in [prev, &e.id.to_string(), e.at, e.actor, e.action, e.entity, e.entity_id, e.before, e.after] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex(&h.finalize())
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// A head of the chain as written down outside the database: `ID:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub id: i64,
    pub hash: String,
}

impl Head {
    pub fn parse(s: &str) -> Result<Head, String> {
        let (id, hash) = s.trim().split_once(':').ok_or_else(|| format!("{s:?} is not ID:HASH"))?;
        let id = id.parse().map_err(|_| format!("{id:?} is not a row id"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{hash:?} is not a SHA-256 in hex"));
        }
        Ok(Head { id, hash: hash.to_ascii_lowercase() })
    }
}

impl std::fmt::Display for Head {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, self.hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(after: &str) -> Entry<'_> {
        Entry {
            id: 1,
            at: "2026-01-01T00:00:00.000000Z",
            actor_id: Some(1),
            actor: "admin",
            region_path: Some("/37/3714/"),
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
        // Every column counts, and an absent value is not an empty one.
        let mut other = e("{\"name\":\"甲\"}");
        other.actor_id = Some(2);
        assert_ne!(a, hash(GENESIS, &other));
        other.actor_id = Some(1);
        other.region_path = Some("/37/3715/");
        assert_ne!(a, hash(GENESIS, &other));
        other.region_path = Some("");
        let none = Entry { region_path: None, ..other.clone() };
        assert_ne!(hash(GENESIS, &other), hash(GENESIS, &none));
        assert_ne!(a, hash_v1(GENESIS, &e("{\"name\":\"甲\"}")), "versions differ");
    }

    #[test]
    fn heads_parse() {
        let h = Head::parse(&format!("12:{}", "A".repeat(64))).unwrap();
        assert_eq!((h.id, h.hash.as_str()), (12, "a".repeat(64).as_str()));
        assert_eq!(h.to_string(), format!("12:{}", "a".repeat(64)));
        assert!(Head::parse("12").is_err() && Head::parse("x:00").is_err() && Head::parse("1:zz").is_err());
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
