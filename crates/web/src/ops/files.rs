//! Reading a kept file (a photo or a voucher): one operation for every
//! record that holds files, each reader checked as for the record itself.

use db::files::Holder;

use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::ops;

/// The file `sha` of record `id` of kind `holder`, for a reader who may see
/// it: where it lies and its type. A record the reader may not see, or one
/// that does not hold the file, answers 404 alike.
pub async fn kept(
    s: &AppState,
    v: &Viewer,
    holder: Holder,
    id: i64,
    sha: &str,
) -> Result<(std::path::PathBuf, String), AppError> {
    match holder {
        Holder::Problem => {
            ops::problems::load(s, v, id).await?;
        }
        Holder::Notice => {
            ops::oversight::notices::load(s, v, id).await?;
        }
        Holder::Inspection => {
            ops::oversight::inspections::load(s, v, id).await?;
        }
        Holder::Topic => {
            ops::votes::topics::load(s, v, id).await?;
        }
        // Ballots name who voted how: those who manage the vote only.
        Holder::Ballot => {
            if !ops::votes::load(s, v, id).await?.1.manage {
                return Err(AppError::not_found());
            }
        }
        // Reading a voucher is an inspection for those who may not read entries.
        Holder::Voucher => return ops::ledger::voucher(s, v, id, sha).await,
    }
    let mime = db::files::mime(&s.db, holder, id, sha).await?.ok_or_else(AppError::not_found)?;
    Ok((ops::problems::photo_path(s, sha), mime))
}
