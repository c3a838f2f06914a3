//! Kept files (photos and vouchers) by the record that holds them: which
//! type a file of a record has, if the record holds it. Readers' rights are
//! decided above; this only answers whether the pair exists.

use sea_orm::FromQueryResult;

use crate::sql::one;
use crate::{Db, Result};

/// The records that hold kept files, each with the table and columns that
/// name them (fixed text, never from input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Problem,
    Notice,
    Inspection,
    /// Paper ballots and proxies' authorities of a vote.
    Ballot,
    /// Evidence of a step on a consultation topic.
    Topic,
    /// A ledger entry's vouchers.
    Voucher,
}

impl Holder {
    /// `(table, holder column, hash column, type column)`.
    fn columns(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Holder::Problem => ("problem_photo", "problem_id", "sha256", "mime"),
            Holder::Notice => ("rect_photo", "notice_id", "sha256", "mime"),
            Holder::Inspection => ("inspection_photo", "inspection_id", "sha256", "mime"),
            Holder::Ballot => ("ballot", "vote_id", "photo_sha256", "photo_mime"),
            Holder::Topic => ("topic_event", "topic_id", "photo_sha256", "photo_mime"),
            Holder::Voucher => ("ledger_voucher", "entry_id", "sha256", "mime"),
        }
    }
}

/// The type of the file `sha` of record `id`, if that record holds it.
pub async fn mime(db: &Db, holder: Holder, id: i64, sha: &str) -> Result<Option<String>> {
    #[derive(FromQueryResult)]
    struct R {
        mime: Option<String>,
    }
    let (table, of, hash, mime) = holder.columns();
    let sql = format!("SELECT {mime} AS mime FROM {table} WHERE {of} = $1 AND {hash} = $2 LIMIT 1");
    let r: Option<R> = one(db.conn(), &sql, vec![id.into(), sha.into()]).await?;
    Ok(r.and_then(|r| r.mime))
}
