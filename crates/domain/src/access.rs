//! Roles, what each may do, and the scope each grant covers. The rule that
//! every user sees and changes only what lies in their scope starts here.

use serde::Serialize;

use crate::{Invalid, Level, RegionCode};

text_enum!(
    /// What a user is to the programme.
    Role, "role", "role", "角色" {
        Admin = "admin",
        Supervisor = "supervisor",
        Officer = "officer",
        Worker = "worker",
        Company = "company",
        Committee = "committee",
        Resident = "resident",
    }
);

impl Role {
    /// Whether this role may do `action` inside its scope.
    pub fn may(self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => true,
            // City-level supervision reads figures, not individuals' numbers.
            Role::Supervisor => matches!(action, Read | ReadAudit | ManagePlans | Grade),
            Role::Officer => matches!(action, Read | WriteRegistry | SeePhones | Supervise),
            Role::Worker => matches!(action, Read | WriteRegistry | SeePhones),
            Role::Company | Role::Committee | Role::Resident => matches!(action, Read),
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read registry records (regions, compounds, buildings, units).
    Read,
    /// Create, edit or retire registry records.
    WriteRegistry,
    /// Read the audit log.
    ReadAudit,
    /// See unmasked phone numbers.
    SeePhones,
    /// Manage users and run imports.
    Administer,
    /// Set the plan's targets (a region's stricter ones inside the scope).
    ManagePlans,
    /// Supervise companies on site: issue and verify rectification notices,
    /// inspect, run campaigns, record talks and graded facts.
    Supervise,
    /// Choose the grading scheme of a region, publish grades, rule on objections.
    Grade,
}

/// What a grant covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    All,
    Region(RegionCode),
    Company(i64),
    Compound(i64),
    Unit(i64),
}

impl Scope {
    /// `all`, a region code, `company:ID`, `compound:ID` or `unit:ID`.
    pub fn parse(s: &str) -> Result<Scope, Invalid> {
        let s = s.trim();
        if s == "all" {
            return Ok(Scope::All);
        }
        let id = |rest: &str| {
            rest.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| Invalid::new("scope", format!("{rest:?} is not an id")).zh(format!("“{rest}”不是编号")))
        };
        if let Some(rest) = s.strip_prefix("company:") {
            return Ok(Scope::Company(id(rest)?));
        }
        if let Some(rest) = s.strip_prefix("compound:") {
            return Ok(Scope::Compound(id(rest)?));
        }
        if let Some(rest) = s.strip_prefix("unit:") {
            return Ok(Scope::Unit(id(rest)?));
        }
        RegionCode::parse(s).map(Scope::Region).map_err(|_| {
            Invalid::new(
                "scope",
                format!("{s:?} is not a scope (all, a region code, company:ID, compound:ID or unit:ID)"),
            )
            .zh(format!("“{s}”不是范围（all、区划代码、company:ID、compound:ID 或 unit:ID）"))
        })
    }

    pub fn to_text(&self) -> String {
        match self {
            Scope::All => "all".into(),
            Scope::Region(c) => c.to_string(),
            Scope::Company(i) => format!("company:{i}"),
            Scope::Compound(i) => format!("compound:{i}"),
            Scope::Unit(i) => format!("unit:{i}"),
        }
    }
}

/// A role held over a scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
}

impl Grant {
    /// Check that the scope fits the role.
    pub fn new(role: Role, scope: Scope) -> Result<Grant, Invalid> {
        let ok = match (&role, &scope) {
            (Role::Admin, Scope::All) => true,
            (Role::Supervisor | Role::Officer, Scope::Region(_)) => true,
            (Role::Worker, Scope::Region(c)) => matches!(c.level(), Level::Community | Level::Grid),
            (Role::Company, Scope::Company(_)) => true,
            (Role::Committee, Scope::Compound(_)) => true,
            (Role::Resident, Scope::Unit(_)) => true,
            _ => false,
        };
        if ok {
            Ok(Grant { role, scope })
        } else {
            let want = match role {
                Role::Admin => "all",
                Role::Supervisor | Role::Officer => "a region code",
                Role::Worker => "a community or grid code",
                Role::Company => "company:ID",
                Role::Committee => "compound:ID",
                Role::Resident => "unit:ID",
            };
            Err(Invalid::new("scope", format!("a {} needs {want} as scope, not {}", role.as_str(), scope.to_text()))
                .zh(format!("角色 {} 的范围须为 {want}，而不是 {}", role.as_str(), scope.to_text())))
        }
    }
}

/// Mask a mainland mobile or any phone number for display: keep the first
/// three and last four digits (138****1234).
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_fit_roles() {
        let street = Scope::parse("371402001").unwrap();
        assert!(Grant::new(Role::Officer, street.clone()).is_ok());
        assert!(Grant::new(Role::Worker, street).is_err(), "a worker's scope is a community or grid");
        assert!(Grant::new(Role::Worker, Scope::parse("371402001001").unwrap()).is_ok());
        assert!(Grant::new(Role::Company, Scope::parse("company:3").unwrap()).is_ok());
        assert!(Grant::new(Role::Admin, Scope::parse("3714").unwrap()).is_err());
        assert!(Scope::parse("company:x").is_err());
        assert!(Scope::parse("everything").is_err());
        assert_eq!(Scope::parse("unit:12").unwrap().to_text(), "unit:12");
    }

    #[test]
    fn roles_may_what_the_brief_says() {
        assert!(Role::Officer.may(Action::WriteRegistry));
        assert!(!Role::Supervisor.may(Action::WriteRegistry));
        assert!(Role::Supervisor.may(Action::ReadAudit));
        assert!(!Role::Supervisor.may(Action::SeePhones));
        assert!(Role::Worker.may(Action::SeePhones));
        assert!(!Role::Company.may(Action::ReadAudit));
        assert!(!Role::Resident.may(Action::WriteRegistry));
        assert!(Role::Admin.may(Action::Administer));
        assert!(!Role::Supervisor.may(Action::Administer));
        assert!(Role::Officer.may(Action::Supervise) && !Role::Worker.may(Action::Supervise));
        assert!(Role::Supervisor.may(Action::Grade) && !Role::Officer.may(Action::Grade));
        assert!(!Role::Company.may(Action::Supervise));
    }

    #[test]
    fn masks_phones() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("123"), "***");
    }
}

/// How long an API token lives: chosen at creation within these bounds.
pub const TOKEN_DAYS_DEFAULT: i64 = 90;
pub const TOKEN_DAYS_MAX: i64 = 365;

/// The lifetime asked for, in days (none: the default), if within bounds.
pub fn token_days(days: Option<i64>) -> Result<i64, Invalid> {
    match days.unwrap_or(TOKEN_DAYS_DEFAULT) {
        d @ 1..=TOKEN_DAYS_MAX => Ok(d),
        d => Err(Invalid::new("days", format!("a token lives 1–{TOKEN_DAYS_MAX} days, not {d}"))
            .zh(format!("令牌有效期须为 1–{TOKEN_DAYS_MAX} 天，不能是 {d}"))),
    }
}

#[cfg(test)]
mod token_tests {
    use super::*;

    #[test]
    fn token_lifetimes_are_bounded() {
        assert_eq!(token_days(None), Ok(TOKEN_DAYS_DEFAULT));
        assert_eq!(token_days(Some(1)), Ok(1));
        assert_eq!(token_days(Some(TOKEN_DAYS_MAX)), Ok(TOKEN_DAYS_MAX));
        for bad in [0, -5, TOKEN_DAYS_MAX + 1, i64::MAX] {
            assert_eq!(token_days(Some(bad)).unwrap_err().field, "days");
        }
    }
}
