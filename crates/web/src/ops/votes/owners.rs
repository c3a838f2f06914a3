//! Owners: the roll of a compound (its managers only: names are personal),
//! recording who owns a unit from a day, residents' claims to be an owner
//! and their verification by the community.

use chrono::NaiveDate;
use db::owners::{Claim, Holding, NewOwner, OwnerUnits};
use domain::access::{Action, Role, Scope};
use domain::vote::OwnerKind;
use serde::Deserialize;
use utoipa::ToSchema;

use super::standing;
use crate::AppState;
use crate::auth::Viewer;
use crate::error::AppError;

/// A compound's owners and its parts as of today: its managers only.
pub async fn roll(s: &AppState, v: &Viewer, compound_id: i64) -> Result<(Vec<OwnerUnits>, Vec<Holding>), AppError> {
    let (_, st) = standing(s, v, compound_id).await?;
    if !st.manage {
        return Err(if st.reads_topics() { AppError::forbidden() } else { AppError::not_found() });
    }
    Ok(db::owners::roll(&s.db, compound_id, domain::clock::today()).await?)
}

/// Who owns a unit from a day, from any face.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RecordIn {
    pub unit_id: i64,
    /// One owner, or the co-owners together; the developer alone.
    pub owners: Vec<OwnerIn>,
    pub since: NaiveDate,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct OwnerIn {
    pub name: String,
    #[serde(default = "person")]
    #[schema(value_type = String)]
    pub kind: OwnerKind,
    pub phone: Option<String>,
    /// The last four characters of the identity document.
    pub id_tail: Option<String>,
}

fn person() -> OwnerKind {
    OwnerKind::Person
}

/// Record ownership of a unit: the compound's managers.
pub async fn record(s: &AppState, v: &Viewer, compound_id: i64, b: &RecordIn) -> Result<Vec<i64>, AppError> {
    let (_, st) = standing(s, v, compound_id).await?;
    if !st.manage {
        return Err(if st.reads_topics() { AppError::forbidden() } else { AppError::not_found() });
    }
    if b.since > domain::clock::today() {
        return Err(domain::Invalid::new("since", "not in the future").zh("不能晚于今天").into());
    }
    let owners: Vec<NewOwner> = b
        .owners
        .iter()
        .map(|o| {
            let phone =
                o.phone.as_deref().filter(|p| !p.trim().is_empty()).map(domain::org::Phone::parse).transpose()?;
            Ok(NewOwner {
                name: o.name.clone(),
                kind: o.kind,
                phone: phone.map(|p| p.as_str().to_owned()),
                id_tail: o.id_tail.clone().filter(|t| !t.trim().is_empty()),
            })
        })
        .collect::<Result<_, domain::Invalid>>()?;
    Ok(db::owners::record(&s.db, &v.actor(), compound_id, b.unit_id, &owners, b.since).await?)
}

/// A resident's claim to own their unit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ClaimIn {
    pub unit_id: i64,
    pub name: String,
    pub id_tail: String,
    #[serde(default)]
    pub note: String,
}

/// A resident claims to be an owner of the unit their account is granted.
pub async fn claim(s: &AppState, v: &Viewer, b: &ClaimIn) -> Result<Claim, AppError> {
    let granted = v.grants.iter().any(|g| g.role == Role::Resident && g.scope == Scope::Unit(b.unit_id));
    if !granted {
        return Err(AppError::not_found());
    }
    let compound = db::accounts::unit_compound(&s.db, b.unit_id).await?.ok_or_else(AppError::not_found)?;
    Ok(db::owners::claim(&s.db, &v.actor(), v.user_id, b.unit_id, compound, &b.name, &b.id_tail, &b.note).await?)
}

/// Claims the viewer decides (the community's, in their regions) or filed.
pub async fn claims(s: &AppState, v: &Viewer) -> Result<Vec<Claim>, AppError> {
    let mut paths = Vec::new();
    let mut all = false;
    for g in v.grants.iter().filter(|g| g.role.may(Action::WriteRegistry)) {
        match &g.scope {
            Scope::All => all = true,
            Scope::Region(c) => paths.push(c.path().as_str().to_owned()),
            _ => {}
        }
    }
    if all {
        return Ok(db::owners::claims(&s.db, None, None).await?);
    }
    if !paths.is_empty() {
        return Ok(db::owners::claims(&s.db, Some(&paths), None).await?);
    }
    Ok(db::owners::claims(&s.db, None, Some(v.user_id)).await?)
}

/// A claim the viewer may decide: the community side over its compound.
pub async fn claim_for(s: &AppState, v: &Viewer, id: i64) -> Result<(Claim, Vec<Holding>), AppError> {
    let k = db::owners::get_claim(&s.db, id).await?;
    let c = db::compounds::get(&s.db, k.compound_id).await?;
    if !v.region_may(&c, Action::WriteRegistry) {
        return Err(if k.user_id == v.user_id { AppError::forbidden() } else { AppError::not_found() });
    }
    let holdings = db::owners::holdings(&s.db, k.compound_id, &[], domain::clock::today()).await?;
    Ok((k.clone(), holdings.into_iter().filter(|h| h.unit_id == k.unit_id).collect()))
}

/// Verify (binding the account to one of the unit's owner records) or reject with a reason.
pub async fn decide(s: &AppState, v: &Viewer, id: i64, owner_id: Option<i64>, reason: &str) -> Result<Claim, AppError> {
    claim_for(s, v, id).await?;
    Ok(db::owners::decide_claim(&s.db, &v.actor(), id, owner_id, reason).await?)
}
