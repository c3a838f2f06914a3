//! Checking and writing a workbook inside one transaction. Rows are applied
//! in sheet order so later sheets can refer to what earlier ones add; every
//! problem is collected, and if there is any the caller's transaction is
//! dropped (rolled back) and nothing is kept.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use db::ConnectionTrait;
use db::DbError;
use db::compounds::{self, BuildingSpec};
use db::structure::{self, NewOrg, NewPerson, NewPost, PostAt, Upsert};
use domain::audit::Actor;
use domain::history::FactKind;
use domain::org::{CommitteeStatus, CreditCode, OrgKind, PartyCoverage, PartyLevel, Phone, PostRole};
use domain::{Area, CompoundInput, RegionCode, RegionPath, ServiceModel};
use serde::Serialize;

use crate::read::Workbook;
use crate::spec::{SHEETS, SheetSpec, col_index, sheet_spec};
use crate::{Rejected, RowError};

/// What a successful load did, per sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub sheets: BTreeMap<String, Counts>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Report {
    pub fn changed(&self) -> u64 {
        self.sheets.values().map(|c| c.added + c.updated).sum()
    }
}

/// A row's cells by column key.
struct Row<'a> {
    spec: &'static SheetSpec,
    cells: Vec<&'a str>,
    number: usize,
}

impl Row<'_> {
    fn get(&self, key: &str) -> &str {
        self.spec.cols.iter().position(|c| c.key == key).map(|i| self.cells[i]).unwrap_or("")
    }

    /// The columns that name one record of this sheet: the same values in two
    /// rows are the same record written twice, and the later row would
    /// silently overwrite the earlier one.
    fn record_key(&self) -> Option<(&'static str, String)> {
        let cols: &[&'static str] = match self.spec.name {
            "grids" => &["code"],
            "compounds" => &["community_code", "name"],
            "buildings" => &["community_code", "compound", "name"],
            "companies" => &["credit_code"],
            "owners_committees" => &["community_code", "compound", "name"],
            "party_orgs" => &["region_code", "name"],
            "other_orgs" => &["kind", "region_code", "name"],
            "relations" => &["relation", "from_region", "from_org", "to_kind", "to_region", "to_org"],
            // Without a phone, a person is their name in their region.
            "people" if self.get("phone").trim().is_empty() => &["region_code", "name"],
            "people" => &["phone"],
            "posts" => &[
                "phone",
                "role",
                "org_kind",
                "org",
                "region_code",
                "compound",
                "building",
                "entrance",
                "start_date",
                "name",
            ],
            "compound_history" => &["community_code", "compound", "kind", "effective_from"],
            "owners" => &["community_code", "compound", "building", "entrance", "number", "since"],
            _ => return None,
        };
        let values: Vec<String> = cols.iter().map(|c| self.get(c).trim().to_uppercase()).collect();
        values.iter().any(|v| !v.is_empty()).then(|| (cols[cols.len().min(2) - 1], values.join("\u{1f}")))
    }
}

/// Why a row failed, in both languages.
struct Fail {
    column: &'static str,
    en: String,
    zh: String,
    /// The row refers to a row that failed already (the index of that row's
    /// error): that error is the one to fix, and it names this row.
    root: Option<usize>,
}

fn bad(column: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Fail {
    Fail { column, en: en.into(), zh: zh.into(), root: None }
}

/// A broken rule, in its own words in both languages where it has them.
fn invalid(column: &'static str, i: domain::Invalid) -> Fail {
    match i.reason_zh {
        Some(zh) => Fail { column, en: i.reason, zh, root: None },
        None => Fail { column, en: i.reason, zh: "取值不正确".into(), root: None },
    }
}

/// `what` is not stored (or not where this importer may look), named in both languages.
fn missing(column: &'static str, what_en: &str, what_zh: &str) -> Fail {
    Fail { column, en: format!("{what_en} not found"), zh: format!("找不到{what_zh}"), root: None }
}

fn from_db(column: &'static str, e: DbError) -> Fail {
    match e {
        // A rule names its own column when the sheets have one of that name.
        DbError::Invalid(i) => {
            let own = SHEETS.iter().flat_map(|s| s.cols).find(|c| c.key == i.field).map(|c| c.key);
            invalid(own.unwrap_or(column), i)
        }
        DbError::Conflict(m) => Fail { column, zh: format!("与已有记录冲突：{m}"), en: m, root: None },
        DbError::NotFound => missing(column, "record", "该记录"),
        DbError::Internal(e) => {
            Fail { column, en: format!("database error: {e}"), zh: "数据库错误".into(), root: None }
        }
    }
}

impl From<domain::Invalid> for Fail {
    fn from(i: domain::Invalid) -> Fail {
        let col = SHEETS.iter().flat_map(|s| s.cols).find(|c| c.key == i.field).map(|c| c.key).unwrap_or("");
        invalid(col, i)
    }
}

fn parse_bool(column: &'static str, s: &str) -> Result<bool, Fail> {
    match s.trim().to_lowercase().as_str() {
        "" | "否" | "no" | "n" | "false" | "0" => Ok(false),
        "是" | "yes" | "y" | "true" | "1" => Ok(true),
        other => Err(bad(column, format!("{other:?} is not 是/否 or yes/no"), format!("“{other}”不是 是/否"))),
    }
}

/// 是/否 where a blank is not recorded (unknown), not 否.
fn opt_bool(column: &'static str, s: &str) -> Result<Option<bool>, Fail> {
    if s.trim().is_empty() { Ok(None) } else { parse_bool(column, s).map(Some) }
}

fn parse_date(column: &'static str, s: &str) -> Result<NaiveDate, Fail> {
    let t = s.trim().replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&t, "%Y-%m-%d").map_err(|_| {
        bad(column, format!("{s:?} is not a date (YYYY-MM-DD)"), format!("“{s}”不是日期（格式 YYYY-MM-DD）"))
    })
}

fn opt_date(column: &'static str, s: &str) -> Result<Option<NaiveDate>, Fail> {
    if s.trim().is_empty() { Ok(None) } else { parse_date(column, s).map(Some) }
}

fn parse_int(column: &'static str, s: &str) -> Result<i32, Fail> {
    s.trim().parse().map_err(|_| bad(column, format!("{s:?} is not a whole number"), format!("“{s}”不是整数")))
}

/// Chinese names accepted for the enumerated columns.
fn alias(s: &str) -> &str {
    match s.trim() {
        "单独组建" => "own_branch",
        "联合组建" => "joint_branch",
        "党建指导员" => "instructor_only",
        "无" => "none",
        "在任" => "in_office",
        "届满" => "expired",
        "解散" => "dissolved",
        other => other,
    }
}

/// Where an importer may write, and what it may point at.
///
/// A row that matches a stored record by its natural key (a credit code, a
/// phone number) changes that record, so the record must lie where the
/// importer may write, not only the row's new region. A record the row only
/// refers to (the company serving a compound, the person holding a post) must
/// lie within the importer's subtrees or on the line above them (the street's
/// party working committee, a county's company); anything else is reported as
/// not found, exactly as if it did not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    All,
    Within(Vec<RegionPath>),
}

impl Reach {
    /// Whether a record at `path` may be written.
    pub fn writes(&self, path: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Within(roots) => roots.iter().any(|r| path.starts_with(r.as_str())),
        }
    }

    /// Whether a record at `path` may be referred to.
    pub fn refers(&self, path: &str) -> bool {
        match self {
            Reach::All => true,
            Reach::Within(roots) => roots.iter().any(|r| path.starts_with(r.as_str()) || r.as_str().starts_with(path)),
        }
    }
}

struct Loader<'a, C: ConnectionTrait> {
    /// Natural keys of rows that failed, with the index of the error to fix:
    /// a miss on one of them is not reported again but named under it.
    failed: std::sync::Mutex<HashMap<String, usize>>,
    /// Regions and compounds already looked up: neither moves during an import,
    /// and a workbook names the same few many times (the import holds the
    /// write lock, so every statement saved is time others do not wait).
    regions: std::sync::Mutex<std::collections::HashMap<String, Option<String>>>,
    compounds: std::sync::Mutex<std::collections::HashMap<(String, String), compounds::Compound>>,
    /// People (id, region path) by phone and buildings by compound and name, as written or found.
    people: std::sync::Mutex<std::collections::HashMap<String, (i64, String)>>,
    buildings: std::sync::Mutex<std::collections::HashMap<(i64, String), i64>>,
    /// A compound's branch or committee as its own row dates it (established,
    /// term start): recorded as the compound's fact after every sheet, where
    /// the compound has no fact of that kind yet — so each is entered once.
    implied: std::sync::Mutex<Vec<(i64, FactKind, i64, NaiveDate)>>,
    c: &'a C,
    actor: &'a Actor,
    reach: &'a Reach,
}

fn outside(column: &'static str, what_en: &str, what_zh: &str) -> Fail {
    Fail {
        column,
        en: format!("this {what_en} belongs to a record you may not change"),
        zh: format!("该{what_zh}所属的记录不在您的管辖范围内，无权修改"),
        root: None,
    }
}

impl<C: ConnectionTrait> Loader<'_, C> {
    /// A stored region the importer may write in.
    async fn region(&self, column: &'static str, code: &str) -> Result<(RegionCode, String), Fail> {
        let rc = RegionCode::parse(code).map_err(|e| invalid(column, e))?;
        let known = self.regions.lock().expect("lock").get(rc.as_str()).cloned();
        let path = match known {
            Some(p) => p,
            None => {
                let r = db::regions::get_in(self.c, rc.as_str()).await.map_err(|e| from_db(column, e))?;
                let p = r.map(|r| r.path);
                self.regions.lock().expect("lock").insert(rc.as_str().to_owned(), p.clone());
                p
            }
        };
        // One answer for a region that does not exist and one outside scope:
        // user-made grids elsewhere are nobody else's business.
        let Some(path) = path.filter(|p| self.reach.writes(p)) else {
            return Err(Fail {
                column,
                en: format!("region {rc} not found or outside your scope"),
                zh: format!("区划 {rc} 不存在或不在您的管辖范围内"),
                root: None,
            });
        };
        Ok((rc, path))
    }

    /// The person a post row names without a phone: by `name`, among those
    /// recorded without one whose place holds the post's region or lies under
    /// it. None or several is an error that says so.
    async fn unphoned_person(&self, r: &Row<'_>) -> Result<i64, Fail> {
        let name = r.get("name").trim();
        if name.is_empty() {
            return Err(bad("phone", "give the person's phone, or their name", "请填写人员的手机号或姓名"));
        }
        let rc = RegionCode::parse(r.get("region_code")).map_err(|e| invalid("region_code", e))?;
        let found = structure::unphoned_by_name_in(self.c, name, &rc.path()).await.map_err(|e| from_db("name", e))?;
        let found: Vec<_> = found.into_iter().filter(|p| self.reach.refers(&p.region_path)).collect();
        match found.as_slice() {
            [p] => Ok(p.id),
            [] => Err(self.miss(
                "name",
                format!("person:{}", structure::unphoned_key(rc.as_str(), name)),
                &format!("person {name} without a phone near {rc}"),
                &format!("{rc} 一带未登记手机号的人员「{name}」"),
            )),
            many => Err(bad(
                "name",
                format!("{} people named {name} without a phone near {rc}: give the phone", many.len()),
                format!("{rc} 一带有 {} 位未登记手机号的「{name}」，请填写手机号以区分", many.len()),
            )),
        }
    }

    /// An organisation a row names by its kind, region and name (a company by
    /// its credit code) in the given columns; one the importer may write when
    /// `write`, else one it may refer to.
    async fn org_ref(
        &self,
        r: &Row<'_>,
        (kind_col, region_col, org_col): (&'static str, &'static str, &'static str),
        write: bool,
    ) -> Result<structure::Org, Fail> {
        let kind = OrgKind::parse(r.get(kind_col)).map_err(|e| invalid(kind_col, e))?;
        let name = r.get(org_col).trim();
        let o = if kind == OrgKind::Company {
            let cc = CreditCode::parse(name).map_err(|e| invalid(org_col, e))?;
            structure::find_company_in(self.c, cc.as_str()).await
        } else {
            let rc = RegionCode::parse(r.get(region_col)).map_err(|e| invalid(region_col, e))?;
            let found = structure::find_org_key_in(self.c, kind.as_str(), rc.as_str(), name).await;
            // Referring reaches wider than writing: check the region only when writing.
            if write {
                self.region(region_col, r.get(region_col)).await?;
            }
            found
        }
        .map_err(|e| from_db(org_col, e))?
        .filter(|o| if write { self.reach.writes(&o.region_path) } else { self.reach.refers(&o.region_path) })
        .ok_or_else(|| {
            let key = if kind == OrgKind::Company {
                format!("company:{}", name.to_uppercase())
            } else {
                format!("org:{}:{}", kind.as_str(), name)
            };
            self.miss(org_col, key, name, &format!("组织「{name}」"))
        })?;
        Ok(o)
    }

    /// A miss on `key`: named under the failed row that would have made it,
    /// if any. A compound is also found by its name alone, so a mistyped
    /// community code on the compound's row is the one error its buildings,
    /// posts and history rows lead back to.
    fn miss(&self, column: &'static str, key: String, what_en: &str, what_zh: &str) -> Fail {
        let mut f = missing(column, what_en, what_zh);
        let failed = self.failed.lock().expect("lock");
        f.root = failed.get(&key).copied().or_else(|| {
            let name = key.strip_prefix("compound:")?.split_once(':')?.1;
            failed.get(&format!("compound-name:{name}")).copied()
        });
        f
    }

    /// The natural key a row of `sheet` would create, to remember if it fails.
    fn key_of(sheet: &str, r: &Row<'_>) -> Option<String> {
        let t = |k: &str| r.get(k).trim().to_owned();
        match sheet {
            "grids" => Some(format!("region:{}", t("code"))),
            "compounds" => Some(format!("compound:{}:{}", t("community_code").get(..12)?, t("name"))),
            "companies" => Some(format!("company:{}", t("credit_code").to_uppercase())),
            "owners_committees" => Some(format!("org:owners_committee:{}", t("name"))),
            "party_orgs" => Some(format!("org:party_org:{}", t("name"))),
            "other_orgs" => Some(format!("org:{}:{}", t("kind"), t("name"))),
            "people" if t("phone").is_empty() => {
                Some(format!("person:{}", structure::unphoned_key(&t("region_code"), &t("name"))))
            }
            "people" => Phone::parse(&t("phone")).ok().map(|p| format!("person:{}", p.as_str())),
            _ => None,
        }
    }

    async fn compound(&self, community: &str, name: &str) -> Result<compounds::Compound, Fail> {
        let (rc, _) = self.region("community_code", community).await?;
        if rc.as_str().len() < 12 {
            return Err(bad(
                "community_code",
                format!("{rc} is not a community or grid code"),
                format!("{rc} 不是社区（村）或网格代码"),
            ));
        }
        let key = (rc.as_str()[..12].to_owned(), name.trim().to_owned());
        if let Some(c) = self.compounds.lock().expect("lock").get(&key) {
            return Ok(c.clone());
        }
        // A compound of a sibling grid in the same community is not this importer's to touch.
        let c = compounds::find_in(self.c, &key.0, &key.1)
            .await
            .map_err(|e| from_db("compound", e))?
            .filter(|c| self.reach.writes(&c.region_path))
            .ok_or_else(|| {
                self.miss(
                    "compound",
                    format!("compound:{}:{}", key.0, key.1),
                    &format!("compound {} in {}", key.1, key.0),
                    &format!("社区 {} 中的小区「{}」", key.0, key.1),
                )
            })?;
        self.compounds.lock().expect("lock").insert(key, c.clone());
        Ok(c)
    }

    async fn row(&self, sheet: &str, r: &Row<'_>) -> Result<Upsert, Fail> {
        match sheet {
            "grids" => {
                let code = RegionCode::parse(r.get("code")).map_err(|e| invalid("code", e))?;
                let Some(community) = code.parent().filter(|_| code.level() == domain::Level::Grid) else {
                    return Err(bad(
                        "code",
                        format!("{code} is not a 15-digit grid code"),
                        format!("{code} 不是 15 位网格代码"),
                    ));
                };
                // The community must be stored and the importer's to change.
                self.region("code", community.as_str()).await?;
                let what = db::regions::upsert_grid_in(self.c, self.actor, &code, r.get("name"))
                    .await
                    .map_err(|e| from_db("name", e))?;
                self.regions
                    .lock()
                    .expect("lock")
                    .insert(code.as_str().to_owned(), Some(code.path().as_str().to_owned()));
                Ok(what)
            }
            "compounds" => {
                let (rc, path) = self.region("community_code", r.get("community_code")).await?;
                // The key is community + name: a compound of that name elsewhere in the
                // community (another grid) must be one the importer may change.
                if rc.as_str().len() >= 12
                    && let Some(c) = compounds::find_in(self.c, &rc.as_str()[..12], r.get("name").trim())
                        .await
                        .map_err(|e| from_db("name", e))?
                    && !self.reach.writes(&c.region_path)
                {
                    return Err(outside("name", "compound name", "小区名称"));
                }
                let input = CompoundInput {
                    region: r.get("community_code").into(),
                    name: r.get("name").into(),
                    address: r.get("address").into(),
                    year_built: r.get("year_built").into(),
                    is_old: opt_bool("is_old", r.get("is_old"))?,
                    households: r.get("households").into(),
                    floor_area: r.get("floor_area").into(),
                    lat: r.get("lat").into(),
                    lng: r.get("long").into(),
                };
                let this_year = chrono::Utc::now().format("%Y").to_string().parse().unwrap_or(2100);
                let d = input.parse(this_year).map_err(|mut es| {
                    let e = es.remove(0);
                    let col = if e.field == "region" { "community_code" } else { e.field };
                    Fail::from(e.for_field(col))
                })?;
                Ok(compounds::upsert_in(self.c, self.actor, &d, &path).await.map_err(|e| from_db("name", e))?.1)
            }
            "buildings" => {
                let spec = BuildingSpec {
                    name: r.get("name").trim().into(),
                    floors: parse_int("floors", r.get("floors"))?,
                    entrances: parse_int("entrances", r.get("entrances"))?,
                    units_per_floor: parse_int("units_per_floor", r.get("units_per_floor"))?,
                    unit_area: Area::parse("unit_area", r.get("unit_area"))?,
                };
                spec.check()?;
                let comp = self.compound(r.get("community_code"), r.get("compound")).await?;
                let (id, what) = compounds::ensure_building_in(self.c, self.actor, comp.id, &spec)
                    .await
                    .map_err(|e| from_db("name", e))?;
                self.buildings.lock().expect("lock").insert((comp.id, spec.name.clone()), id);
                Ok(what)
            }
            "companies" => {
                let cc = CreditCode::parse(r.get("credit_code"))?;
                let (rc, path) = self.region("region_code", r.get("region_code")).await?;
                if let Some(o) =
                    structure::find_company_in(self.c, cc.as_str()).await.map_err(|e| from_db("credit_code", e))?
                    && !self.reach.writes(&o.region_path)
                {
                    return Err(outside("credit_code", "credit code", "统一社会信用代码"));
                }
                let cov = PartyCoverage::parse(alias(r.get("party_coverage")))?;
                let from = opt_date("party_coverage_from", r.get("party_coverage_from"))?;
                let n = org(OrgKind::Company, r.get("name"), &rc, &path, |o| {
                    o.credit_code = Some(cc.to_string());
                    o.party_coverage = Some(cov);
                    o.party_coverage_from = from;
                })?;
                Ok(structure::upsert_org_in(self.c, self.actor, &n).await.map_err(|e| from_db("credit_code", e))?.1)
            }
            "owners_committees" => {
                let status = CommitteeStatus::parse(alias(r.get("status")))?;
                let (start, end) =
                    (opt_date("term_start", r.get("term_start"))?, opt_date("term_end", r.get("term_end"))?);
                if let (Some(s), Some(e)) = (start, end)
                    && e < s
                {
                    return Err(bad(
                        "term_end",
                        format!("term ends ({e}) before it starts ({s})"),
                        format!("任期结束（{e}）早于开始（{s}）"),
                    ));
                }
                let is_pmc = parse_bool("is_pmc", r.get("is_pmc"))?;
                let comp = self.compound(r.get("community_code"), r.get("compound")).await?;
                let (rc, path) = self.region("community_code", &comp.community_code).await?;
                let n = org(OrgKind::OwnersCommittee, r.get("name"), &rc, &path, |o| {
                    o.compound_id = Some(comp.id);
                    o.status = Some(status);
                    o.term_start = start;
                    o.term_end = end;
                    o.is_pmc = is_pmc;
                })?;
                let (id, what) =
                    structure::upsert_org_in(self.c, self.actor, &n).await.map_err(|e| from_db("name", e))?;
                if let Some(s) = start {
                    self.implied.lock().expect("lock").push((comp.id, FactKind::OwnersCommittee, id, s));
                }
                Ok(what)
            }
            "party_orgs" => {
                let (rc, path) = self.region("region_code", r.get("region_code")).await?;
                let level = PartyLevel::parse(r.get("party_level"))?;
                let compound_id = match r.get("compound").trim() {
                    "" => None,
                    name => Some(self.compound(rc.as_str(), name).await?.id),
                };
                let covers = match r.get("covers").trim() {
                    "" => None,
                    v => Some(
                        match CreditCode::parse(v) {
                            Ok(cc) => structure::find_company_in(self.c, cc.as_str())
                                .await
                                .map_err(|e| from_db("covers", e))?
                                .filter(|o| self.reach.refers(&o.region_path)),
                            Err(_) => {
                                structure::find_org_key_in(self.c, OrgKind::OwnersCommittee.as_str(), rc.as_str(), v)
                                    .await
                                    .map_err(|e| from_db("covers", e))?
                            }
                        }
                        .ok_or_else(|| self.miss("covers", format!("company:{v}"), v, &format!("「{v}」")))?
                        .id,
                    ),
                };
                let parent = match r.get("parent").trim() {
                    "" => None,
                    p => {
                        let mut found = None;
                        for code in rc.lineage().iter().rev() {
                            if let Some(o) =
                                structure::find_org_key_in(self.c, OrgKind::PartyOrg.as_str(), code.as_str(), p)
                                    .await
                                    .map_err(|e| from_db("parent", e))?
                            {
                                found = Some(o.id);
                                break;
                            }
                        }
                        Some(found.ok_or_else(|| {
                            self.miss("parent", format!("org:party_org:{p}"), p, &format!("上级党组织「{p}」"))
                        })?)
                    }
                };
                let established = opt_date("established", r.get("established"))?;
                let building = match (r.get("building").trim(), compound_id) {
                    ("", _) => None,
                    (_, _) if level != PartyLevel::BuildingGroup => {
                        return Err(bad(
                            "building",
                            "only a building party group is set up in a building",
                            "只有楼栋党小组填写所在楼栋",
                        ));
                    }
                    (_, None) => {
                        return Err(bad("compound", "name the compound the building is in", "请填写楼栋所在小区"));
                    }
                    (b, Some(cid)) => Some(
                        compounds::find_building_in(self.c, cid, b)
                            .await
                            .map_err(|e| from_db("building", e))?
                            .ok_or_else(|| missing("building", &format!("building {b}"), &format!("楼栋「{b}」")))?
                            .id,
                    ),
                };
                let n = org(OrgKind::PartyOrg, r.get("name"), &rc, &path, |o| {
                    o.building_id = building;
                    o.party_level = Some(level);
                    o.compound_id = compound_id;
                    o.covers_org_id = covers;
                    o.parent_id = parent;
                    o.established = established;
                })?;
                let (id, what) =
                    structure::upsert_org_in(self.c, self.actor, &n).await.map_err(|e| from_db("name", e))?;
                if let (PartyLevel::CompoundBranch, Some(cid), Some(e)) = (level, compound_id, established) {
                    self.implied.lock().expect("lock").push((cid, FactKind::PartyBranch, id, e));
                }
                Ok(what)
            }
            "other_orgs" => {
                let kind = OrgKind::parse(r.get("kind"))?;
                if !matches!(kind, OrgKind::SponsorUnit | OrgKind::Cooperative | OrgKind::RedStation) {
                    return Err(bad(
                        "kind",
                        "use the companies, owners_committees or party_orgs sheet for this kind",
                        "此类组织请填在物业企业、业委会或党组织工作表中",
                    ));
                }
                let (rc, path) = self.region("region_code", r.get("region_code")).await?;
                let compound_id = match r.get("compound").trim() {
                    "" => None,
                    name => Some(self.compound(rc.as_str(), name).await?.id),
                };
                let established = opt_date("established", r.get("established"))?;
                let n = org(kind, r.get("name"), &rc, &path, |o| {
                    o.compound_id = compound_id;
                    o.established = established;
                })?;
                Ok(structure::upsert_org_in(self.c, self.actor, &n).await.map_err(|e| from_db("name", e))?.1)
            }
            "relations" => {
                let kind = domain::org::Relation::parse(r.get("relation")).map_err(|e| invalid("relation", e))?;
                let from = self.org_ref(r, ("from_kind", "from_region", "from_org"), false).await?;
                // The relation is recorded on the organisation formed: it must be the importer's.
                let to = self.org_ref(r, ("to_kind", "to_region", "to_org"), true).await?;
                let on = opt_date("date", r.get("date"))?;
                Ok(structure::upsert_relation_in(self.c, self.actor, kind, &from, &to, on)
                    .await
                    .map_err(|e| from_db("relation", e))?)
            }
            "people" => {
                let (rc, path) = self.region("region_code", r.get("region_code")).await?;
                let name = domain::compound::check_name(r.get("name"))?;
                // Real rosters often lack a phone: the person is then their name in their region.
                let key = match r.get("phone").trim() {
                    "" => structure::unphoned_key(rc.as_str(), &name),
                    p => Phone::parse(p)?.as_str().to_owned(),
                };
                if let Some(p) = structure::find_person_in(self.c, &key).await.map_err(|e| from_db("phone", e))?
                    && !self.reach.writes(&p.region_path)
                {
                    return Err(outside("phone", "phone number", "手机号"));
                }
                let p = NewPerson {
                    name,
                    phone: key,
                    is_party_member: parse_bool("is_party_member", r.get("is_party_member"))?,
                    is_public_servant: parse_bool("is_public_servant", r.get("is_public_servant"))?,
                    employer: r.get("employer").trim().into(),
                    region_code: rc.to_string(),
                    region_path: path,
                    servant_from: opt_date("servant_from", r.get("servant_from"))?,
                };
                let (id, what) = structure::upsert_person_in(self.c, self.actor, &p).await.map_err(|e| {
                    let column = if matches!(&e, DbError::Invalid(i) if i.field == "servant_from") {
                        "servant_from"
                    } else {
                        "phone"
                    };
                    from_db(column, e)
                })?;
                self.people.lock().expect("lock").insert(p.phone.clone(), (id, p.region_path.clone()));
                Ok(what)
            }
            "posts" => {
                let role = PostRole::parse(r.get("role"))?;
                let start = parse_date("start_date", r.get("start_date"))?;
                let end = opt_date("end_date", r.get("end_date"))?;
                if end.is_some_and(|e| e < start) {
                    return Err(bad("end_date", "the post ends before it starts", "任职结束早于开始"));
                }
                let person_id = match r.get("phone").trim() {
                    "" => self.unphoned_person(r).await?,
                    phone => {
                        let phone = Phone::parse(phone)?;
                        let known = self.people.lock().expect("lock").get(phone.as_str()).cloned();
                        let found = match known {
                            Some(p) => Some(p),
                            None => structure::find_person_in(self.c, phone.as_str())
                                .await
                                .map_err(|e| from_db("phone", e))?
                                .map(|p| (p.id, p.region_path)),
                        };
                        found
                            .filter(|(_, path)| self.reach.refers(path))
                            .ok_or_else(|| {
                                self.miss(
                                    "phone",
                                    format!("person:{}", phone.as_str()),
                                    &format!("person with phone {}", phone.masked()),
                                    &format!("手机号为 {} 的人员", phone.masked()),
                                )
                            })?
                            .0
                    }
                };
                let (at, path) = match role {
                    PostRole::BuildingHead => {
                        let comp = self.compound(r.get("region_code"), r.get("compound")).await?;
                        let key = (comp.id, r.get("building").trim().to_owned());
                        let known = self.buildings.lock().expect("lock").get(&key).copied();
                        let b = match known {
                            Some(b) => b,
                            None => {
                                let b = compounds::find_building_in(self.c, comp.id, &key.1)
                                    .await
                                    .map_err(|e| from_db("building", e))?
                                    .ok_or_else(|| {
                                        let b = r.get("building").trim();
                                        missing("building", &format!("building {b}"), &format!("楼栋「{b}」"))
                                    })?
                                    .id;
                                self.buildings.lock().expect("lock").insert(key, b);
                                b
                            }
                        };
                        let path = self.region("region_code", &comp.region_code).await?.1;
                        match r.get("entrance").trim() {
                            "" => (PostAt::Building(b), path),
                            e => {
                                let id = compounds::find_entrance_in(self.c, b, e)
                                    .await
                                    .map_err(|err| from_db("entrance", err))?
                                    .ok_or_else(|| {
                                        missing("entrance", &format!("entrance {e}"), &format!("单元「{e}」"))
                                    })?;
                                (PostAt::Entrance(b, id), path)
                            }
                        }
                    }
                    PostRole::GridWorker | PostRole::CommunityWorker => {
                        let (rc, path) = self.region("region_code", r.get("region_code")).await?;
                        (PostAt::Region(rc.to_string()), path)
                    }
                    _ => {
                        // A post changes the organisation's roster: it must be one the importer may write.
                        let o = self.org_ref(r, ("org_kind", "region_code", "org"), true).await?;
                        (PostAt::Org(o.id), o.region_path)
                    }
                };
                let p = NewPost { person_id, role, at, region_path: path, start_date: start, end_date: end };
                Ok(structure::upsert_post_in(self.c, self.actor, &p).await.map_err(|e| from_db("role", e))?.1)
            }
            "compound_history" => {
                let kind = FactKind::find(r.get("kind")).ok_or_else(|| {
                    let k = r.get("kind").trim();
                    bad("kind", format!("{k:?} is not a kind of compound fact"), format!("“{k}”不是小区信息类别"))
                })?;
                let from = parse_date("effective_from", r.get("effective_from"))?;
                let comp = self.compound(r.get("community_code"), r.get("compound")).await?;
                let v = r.get("value").trim();
                let (value, ref_id) = match kind {
                    FactKind::ServiceModel => {
                        (Some(ServiceModel::parse(v).map_err(|e| invalid("value", e))?.as_str()), None)
                    }
                    FactKind::Company => {
                        let cc = CreditCode::parse(v).map_err(|e| invalid("value", e))?;
                        let o = structure::find_company_in(self.c, cc.as_str())
                            .await
                            .map_err(|e| from_db("value", e))?
                            .filter(|o| self.reach.refers(&o.region_path))
                            .ok_or_else(|| {
                                self.miss(
                                    "value",
                                    format!("company:{cc}"),
                                    &format!("company {cc}"),
                                    &format!("统一社会信用代码为 {cc} 的物业企业"),
                                )
                            })?;
                        (None, Some(o.id))
                    }
                    other => {
                        let okind = other.org_kind().unwrap_or(OrgKind::SponsorUnit);
                        // The organisation sits in the compound's community or above it.
                        let rc = RegionCode::parse(&comp.community_code).map_err(|e| invalid("community_code", e))?;
                        let mut found = None;
                        for code in rc.lineage().iter().rev() {
                            if let Some(o) = structure::find_org_key_in(self.c, okind.as_str(), code.as_str(), v)
                                .await
                                .map_err(|e| from_db("value", e))?
                            {
                                // A committee, branch or red station must be this compound's own (as on the page).
                                if kind.compound_own() && o.compound_id != Some(comp.id) {
                                    return Err(Fail {
                                        column: "value",
                                        en: format!("{v} is not an organisation of this compound"),
                                        zh: format!("{v}不是本小区的组织"),
                                        root: None,
                                    });
                                }
                                found = Some(o.id);
                                break;
                            }
                        }
                        (
                            None,
                            Some(found.ok_or_else(|| {
                                self.miss("value", format!("org:{}:{v}", okind.as_str()), v, &format!("「{v}」"))
                            })?),
                        )
                    }
                };
                compounds::record_fact_in(self.c, self.actor, comp.id, kind, value, ref_id, from)
                    .await
                    .map_err(|e| from_db("effective_from", e))
            }
            "owners" => {
                use domain::vote::{AreaSource, OwnerKind, UnitKind};
                let comp = self.compound(r.get("community_code"), r.get("compound")).await?;
                let bname = r.get("building").trim();
                let b = compounds::find_building_in(self.c, comp.id, bname)
                    .await
                    .map_err(|e| from_db("building", e))?
                    .ok_or_else(|| missing("building", &format!("building {bname}"), &format!("楼栋「{bname}」")))?;
                let unit = db::owners::find_unit_in(self.c, b.id, r.get("entrance"), r.get("number"))
                    .await
                    .map_err(|e| from_db("number", e))?;
                let since = parse_date("since", r.get("since"))?;
                let developer = parse_bool("developer", r.get("developer"))?;
                let split = |s: &str| -> Vec<String> {
                    s.split(['、', ',', '，', ';', '；'])
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                };
                let (names, tails) = (split(r.get("owners")), split(r.get("id_tails")));
                if !tails.is_empty() && tails.len() != names.len() {
                    return Err(bad(
                        "id_tails",
                        format!("{} tails for {} owners", tails.len(), names.len()),
                        format!("证件号后四位 {} 个，与业主 {} 人不符", tails.len(), names.len()),
                    ));
                }
                let phone = match r.get("phone").trim() {
                    "" => None,
                    p => Some(Phone::parse(p).map_err(|e| invalid("phone", e))?.as_str().to_owned()),
                };
                let owners: Vec<db::owners::NewOwner> = match (developer, names.is_empty()) {
                    (true, true) => vec![db::owners::NewOwner {
                        name: "开发建设单位".into(),
                        kind: OwnerKind::Developer,
                        phone: None,
                        id_tail: None,
                    }],
                    (true, false) => {
                        return Err(bad(
                            "owners",
                            "a unit the developer holds has no other owner",
                            "开发建设单位持有的房屋不应再填写业主",
                        ));
                    }
                    (false, true) => {
                        return Err(bad(
                            "owners",
                            "name the owners, or mark it the developer's",
                            "请填写业主姓名，或注明开发建设单位持有",
                        ));
                    }
                    (false, false) => names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| db::owners::NewOwner {
                            name: n.clone(),
                            kind: OwnerKind::Person,
                            phone: if i == 0 { phone.clone() } else { None },
                            id_tail: tails.get(i).cloned(),
                        })
                        .collect(),
                };
                let source = match r.get("area_source").trim() {
                    "" => None,
                    "登记" | "登记面积" => Some(AreaSource::Registered),
                    "实测" | "实测面积" => Some(AreaSource::Surveyed),
                    "合同" | "合同面积" => Some(AreaSource::Contract),
                    other => Some(AreaSource::parse(other).map_err(|e| invalid("area_source", e))?),
                };
                let kind = match r.get("kind").trim() {
                    "" | "住宅" => UnitKind::Dwelling,
                    "车位" => UnitKind::Parking,
                    "商铺" => UnitKind::Shop,
                    other => UnitKind::parse(other).map_err(|e| invalid("kind", e))?,
                };
                match (r.get("area").trim(), source) {
                    ("", None) => {}
                    ("", Some(_)) => {
                        return Err(bad("area", "give the area its source describes", "填写了面积来源，请填写面积"));
                    }
                    (_, None) => {
                        return Err(bad(
                            "area_source",
                            "say where the area comes from",
                            "请注明面积来源（登记/实测/合同）",
                        ));
                    }
                    (a, Some(src)) => {
                        let area = Area::parse("area", a)?.unit("area")?;
                        db::owners::set_unit_area_in(self.c, unit, area.centi(), src, kind)
                            .await
                            .map_err(|e| from_db("area", e))?;
                    }
                }
                db::owners::record_in(self.c, self.actor, comp.id, unit, &owners, since, chrono::Utc::now())
                    .await
                    .map_err(|e| from_db("owners", e))?;
                Ok(Upsert::Updated)
            }
            _ => unreachable!("sheet names come from SHEETS"),
        }
    }
}

fn org(kind: OrgKind, name: &str, rc: &RegionCode, path: &str, fill: impl FnOnce(&mut NewOrg)) -> Result<NewOrg, Fail> {
    let name = domain::compound::check_name(name)?;
    let mut o = NewOrg::new(kind, &name, rc.as_str(), path);
    fill(&mut o);
    Ok(o)
}

/// Check and apply a workbook inside `c` (a transaction the caller commits
/// only on `Ok`). `reach` says where the importer may write (see `Reach`).
/// Its audit rows are appended together at the end (`db::audit::held`).
pub async fn load<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    wb: &Workbook,
    reach: &Reach,
    progress: impl FnMut(&str, usize, usize),
) -> Result<Report, Rejected> {
    match db::audit::held_in(c, load_rows(c, actor, wb, reach, progress)).await {
        Ok(out) => out,
        Err(e) => Err(Rejected(vec![RowError {
            sheet: String::new(),
            row: 0,
            column: String::new(),
            en: format!("database error: {e}"),
            zh: "数据库错误".into(),
        }])),
    }
}

async fn load_rows<C: ConnectionTrait>(
    c: &C,
    actor: &Actor,
    wb: &Workbook,
    reach: &Reach,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Report, Rejected> {
    let mut errors: Vec<RowError> = Vec::new();
    // Rows that failed only because an earlier row did, by that row's error.
    let mut dependents: BTreeMap<usize, Vec<(&'static SheetSpec, usize)>> = BTreeMap::new();
    let mut report = Report::default();
    let err = |sheet: &str, row: usize, column: &str, en: String, zh: String| RowError {
        sheet: sheet.into(),
        row,
        column: column.into(),
        en,
        zh,
    };
    for raw in &wb.sheets {
        if sheet_spec(&raw.name).is_none() && !raw.name.contains("说明") && !raw.name.to_lowercase().contains("notes")
        {
            errors.push(err(
                &raw.name,
                0,
                "",
                "unknown sheet; see the template".into(),
                "无法识别的工作表，请使用模板".into(),
            ));
        }
    }
    let loader = Loader {
        failed: Default::default(),
        regions: Default::default(),
        compounds: Default::default(),
        people: Default::default(),
        buildings: Default::default(),
        implied: Default::default(),
        c,
        actor,
        reach,
    };
    for spec in SHEETS {
        let mut same = wb.sheets.iter().filter(|s| sheet_spec(&s.name).is_some_and(|x| x.name == spec.name));
        let Some(raw) = same.next() else {
            continue;
        };
        // Two sheets of one kind (compounds and 小区, or a copy): which one is meant is not ours to guess.
        for other in same {
            errors.push(err(
                &other.name,
                0,
                "",
                format!("a second {} sheet (the first is {}): put all its rows in one sheet", spec.name, raw.name),
                format!("第二个「{}」工作表（第一个是「{}」）：请把这类数据放在同一个工作表中", spec.zh, raw.name),
            ));
        }
        let Some(header) = raw.rows.iter().position(|r| r.iter().any(|c| !c.is_empty())) else { continue };
        // Map the sheet's columns onto the spec's.
        let mut map: Vec<Option<usize>> = vec![None; spec.cols.len()];
        let mut header_ok = true;
        for (i, h) in raw.rows[header].iter().enumerate() {
            if h.is_empty() {
                continue;
            }
            match col_index(spec, h) {
                Some(k) => map[k] = Some(i),
                None => {
                    errors.push(err(spec.name, header + 1, h, "unknown column".into(), "无法识别的列".into()));
                    header_ok = false;
                }
            }
        }
        for (k, col) in spec.cols.iter().enumerate() {
            if col.required && map[k].is_none() {
                errors.push(err(
                    spec.name,
                    header + 1,
                    col.key,
                    "required column is missing".into(),
                    format!("缺少必填列「{}」", col.zh),
                ));
                header_ok = false;
            }
        }
        if !header_ok {
            continue;
        }
        let mut rows: Vec<(usize, Vec<&str>)> = raw.rows[header + 1..]
            .iter()
            .enumerate()
            .filter(|(_, r)| r.iter().any(|c| !c.is_empty()))
            .map(|(i, r)| {
                let cells = map.iter().map(|m| m.and_then(|i| r.get(i)).map(|s| s.as_str()).unwrap_or("")).collect();
                (header + 2 + i, cells)
            })
            .collect();
        // The same record twice in one sheet: said at the later row, naming the first.
        let mut first_row: HashMap<String, usize> = HashMap::new();
        for (number, cells) in &rows {
            let row = Row { spec, cells: cells.clone(), number: *number };
            if let Some((column, key)) = row.record_key() {
                match first_row.get(&key) {
                    Some(first) => errors.push(err(
                        spec.name,
                        *number,
                        column,
                        format!("the same record as row {first}: each record once in a workbook"),
                        format!("与第 {first} 行是同一条记录：同一记录在一个工作簿中只能出现一次"),
                    )),
                    None => {
                        first_row.insert(key, *number);
                    }
                }
            }
        }
        if spec.name == "compound_history" {
            // Dated facts go in date order per compound and kind, whatever the row order.
            rows.sort_by(|a, b| (a.1[0], a.1[1], a.1[2], a.1[4]).cmp(&(b.1[0], b.1[1], b.1[2], b.1[4])));
        }
        let total = rows.len();
        let counts = report.sheets.entry(spec.name.to_owned()).or_default();
        for (n, (number, cells)) in rows.into_iter().enumerate() {
            let row = Row { spec, cells, number };
            let blank = spec.cols.iter().enumerate().find(|(i, c)| c.required && row.cells[*i].trim().is_empty());
            let result = match blank {
                Some((_, col)) => Err(Fail {
                    column: col.key,
                    en: "required value is empty".into(),
                    zh: format!("必填项「{}」为空", col.zh),
                    root: None,
                }),
                None => loader.row(spec.name, &row).await,
            };
            match result {
                Ok(Upsert::Added) => counts.added += 1,
                Ok(Upsert::Updated) => counts.updated += 1,
                Ok(Upsert::Unchanged) => counts.unchanged += 1,
                Err(f) => {
                    let root = match f.root {
                        Some(root) => {
                            dependents.entry(root).or_default().push((spec, row.number));
                            root
                        }
                        None => {
                            errors.push(err(spec.name, row.number, f.column, f.en, f.zh));
                            errors.len() - 1
                        }
                    };
                    if let Some(k) = Loader::<C>::key_of(spec.name, &row) {
                        let mut failed = loader.failed.lock().expect("lock");
                        if let Some(name) = (spec.name == "compounds").then(|| row.get("name").trim()) {
                            failed.entry(format!("compound-name:{name}")).or_insert(root);
                        }
                        failed.insert(k, root);
                    }
                }
            }
            if (n + 1) % 500 == 0 || n + 1 == total {
                progress(spec.name, n + 1, total);
            }
        }
    }
    // Branches and committees entered once, on their own sheet: their compounds' facts follow.
    if errors.is_empty() {
        let implied = std::mem::take(&mut *loader.implied.lock().expect("lock"));
        for (compound_id, kind, org_id, from) in implied {
            match compounds::imply_fact_in(c, actor, compound_id, kind, org_id, from).await {
                Ok(true) => report.sheets.entry("compound_history".to_owned()).or_default().added += 1,
                Ok(false) => {}
                Err(e) => errors.push(err("", 0, "", format!("database error: {e}"), "数据库错误".into())),
            }
        }
    }
    // Each root error names, in one line, the rows that failed because of it.
    for (root, rows) in dependents {
        let mut by_sheet: Vec<(&SheetSpec, Vec<usize>)> = Vec::new();
        for (spec, n) in rows {
            match by_sheet.iter_mut().find(|(s, _)| s.name == spec.name) {
                Some((_, ns)) => ns.push(n),
                None => by_sheet.push((spec, vec![n])),
            }
        }
        let list = |zh: bool| {
            by_sheet
                .iter()
                .map(|(s, ns)| {
                    let ns = ns.iter().map(|n| n.to_string()).collect::<Vec<_>>();
                    if zh {
                        format!("{} 第 {} 行", s.zh, ns.join("、"))
                    } else {
                        format!("{} rows {}", s.name, ns.join(", "))
                    }
                })
                .collect::<Vec<_>>()
        };
        let e = &mut errors[root];
        e.en.push_str(&format!("; rows that depend on it: {}", list(false).join("; ")));
        e.zh.push_str(&format!("；因此未能导入：{}", list(true).join("；")));
    }
    // In the workbook's order: sheet by sheet as loaded, row by row (dated
    // facts are loaded in date order, but people read them in row order).
    let sheet_order = |name: &str| SHEETS.iter().position(|s| s.name == name).unwrap_or(SHEETS.len());
    errors.sort_by_key(|e| (sheet_order(&e.sheet), e.row));
    if errors.is_empty() { Ok(report) } else { Err(Rejected(errors)) }
}
