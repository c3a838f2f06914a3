//! Dated facts of a compound (service model, company, committee, party branch,
//! red station, sponsor unit): each kind is a sequence of non-overlapping
//! intervals `[valid_from, valid_to)`, so any past date has one answer.

use chrono::NaiveDate;

use crate::Invalid;

text_enum!(
    /// What a compound's dated fact is about.
    FactKind, "kind", "kind of compound fact", "小区信息类型" {
        ServiceModel = "service_model",
        Company = "company",
        OwnersCommittee = "owners_committee",
        PartyBranch = "party_branch",
        RedStation = "red_station",
        SponsorUnit = "sponsor_unit",
    }
);

impl FactKind {
    /// The kind of organisation a fact of this kind points at (none for the
    /// service model, which is a value).
    pub fn org_kind(self) -> Option<crate::org::OrgKind> {
        use crate::org::OrgKind;
        match self {
            FactKind::ServiceModel => None,
            FactKind::Company => Some(OrgKind::Company),
            FactKind::OwnersCommittee => Some(OrgKind::OwnersCommittee),
            FactKind::PartyBranch => Some(OrgKind::PartyOrg),
            FactKind::RedStation => Some(OrgKind::RedStation),
            FactKind::SponsorUnit => Some(OrgKind::SponsorUnit),
        }
    }

    /// Whether the organisation must be the compound's own (its committee,
    /// branch) rather than one from outside (a company, a sponsor). A red
    /// station may serve several compounds around it: it must only sit in the
    /// compound's community or above (`serves_around`).
    pub fn compound_own(self) -> bool {
        matches!(self, FactKind::OwnersCommittee | FactKind::PartyBranch)
    }

    /// Whether the organisation must sit in the compound's place or above it.
    pub fn serves_around(self) -> bool {
        self == FactKind::RedStation
    }
}

/// Whether `[from, to)` holds `date`.
pub fn holds_on(from: NaiveDate, to: Option<NaiveDate>, date: NaiveDate) -> bool {
    from <= date && to.is_none_or(|t| date < t)
}

/// A date a fact may take effect on: not before 1949-10-01 and not more than
/// a year after `today` (a fact known in advance, such as a contract that
/// starts next month, is fine; 9999-12-31 is a typo that would block every
/// later change of the compound).
pub fn check_plausible(field: &'static str, date: NaiveDate, today: NaiveDate) -> Result<(), Invalid> {
    let first = NaiveDate::from_ymd_opt(1949, 10, 1).expect("a date");
    let last = today + chrono::Days::new(366);
    if date < first || date > last {
        return Err(Invalid::new(field, format!("{date} is outside {first}–{last}"))
            .zh(format!("日期 {date} 不在 {first} 至 {last} 之间")));
    }
    Ok(())
}

/// Whether two periods `[start, end)` share a day (an open end runs on for ever).
pub fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.1.is_none_or(|e| b.0 < e) && b.1.is_none_or(|e| a.0 < e)
}

/// Setting a new value from `effective`: the open interval (if any) must have
/// started before it. Rewriting the past is a separate, audited operation.
pub fn check_succession(current_from: Option<NaiveDate>, effective: NaiveDate) -> Result<(), Invalid> {
    match current_from {
        Some(f) if effective <= f => {
            Err(Invalid::new("effective_from", format!("must be after {f}, when the current value took effect"))
                .zh(format!("须晚于当前取值的生效日期 {f}")))
        }
        _ => Ok(()),
    }
}

/// Correcting when a past fact took effect: it must stay after the fact
/// before it began and before its own end, so intervals never overlap.
pub fn check_correction(
    prev_from: Option<NaiveDate>,
    own_to: Option<NaiveDate>,
    new_from: NaiveDate,
) -> Result<(), Invalid> {
    if let Some(p) = prev_from
        && new_from <= p
    {
        return Err(Invalid::new("valid_from", format!("must be after {p}, when the value before it took effect"))
            .zh(format!("须晚于前一取值的生效日期 {p}")));
    }
    if let Some(t) = own_to
        && new_from >= t
    {
        return Err(Invalid::new("valid_from", format!("must be before {t}, when the value after it took effect"))
            .zh(format!("须早于后一取值的生效日期 {t}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fact_dates_are_plausible() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert!(check_plausible("d", NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(), today).is_ok());
        assert!(check_plausible("d", NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(), today).is_err());
        assert!(check_plausible("d", NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(), today).is_err());
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn interval_is_half_open() {
        let (f, t) = (d("2021-01-01"), Some(d("2021-07-01")));
        assert!(!holds_on(f, t, d("2020-12-31")));
        assert!(holds_on(f, t, d("2021-01-01")));
        assert!(holds_on(f, t, d("2021-06-30")));
        assert!(!holds_on(f, t, d("2021-07-01")));
        assert!(holds_on(f, None, d("2099-01-01")));
    }

    #[test]
    fn corrections_keep_intervals_apart() {
        let (p, t) = (Some(d("2020-01-01")), Some(d("2022-01-01")));
        assert!(check_correction(p, t, d("2021-03-01")).is_ok());
        assert!(check_correction(p, t, d("2020-01-01")).is_err());
        assert!(check_correction(p, t, d("2022-01-01")).is_err());
        assert!(check_correction(None, None, d("1999-01-01")).is_ok());
    }

    #[test]
    fn succession_moves_forward_only() {
        assert!(check_succession(None, d("2020-01-01")).is_ok());
        assert!(check_succession(Some(d("2020-01-01")), d("2020-01-02")).is_ok());
        assert!(check_succession(Some(d("2020-01-01")), d("2020-01-01")).is_err());
    }
}
