//! The sheets and columns of a registry workbook. Headers may be given in
//! English (`name`), Chinese (`小区名称`) or both (`小区名称 (name)`).

pub struct Col {
    pub key: &'static str,
    pub zh: &'static str,
    pub required: bool,
    /// What goes in it, for the template's notes sheet.
    pub note: &'static str,
}

pub struct SheetSpec {
    pub name: &'static str,
    pub zh: &'static str,
    pub cols: &'static [Col],
}

const fn c(key: &'static str, zh: &'static str, required: bool, note: &'static str) -> Col {
    Col { key, zh, required, note }
}

/// In load order: what a later sheet refers to comes earlier.
pub const SHEETS: &[SheetSpec] = &[
    SheetSpec {
        name: "grids",
        zh: "网格",
        cols: &[
            c(
                "code",
                "网格代码",
                true,
                "15 digits: the community's 12-digit code and 3 more / 所属社区 12 位代码加 3 位序号",
            ),
            c("name", "网格名称", true, "e.g. 第一网格"),
        ],
    },
    SheetSpec {
        name: "compounds",
        zh: "小区",
        cols: &[
            c("community_code", "社区代码", true, "12-digit community or 15-digit grid code / 社区（村）或网格代码"),
            c("name", "小区名称", true, "unique within the community / 社区内唯一"),
            c("address", "地址", false, ""),
            c("year_built", "建成年份", false, "e.g. 1998"),
            c("is_old", "老旧小区", false, "是/否 or yes/no"),
            c("households", "户数", false, "whole number / 整数"),
            c("floor_area", "建筑面积", false, "m², at most 2 decimals / 平方米"),
            c("lat", "纬度", false, "WGS-84 decimal degrees, with 经度 / WGS-84 十进制度数，与经度同填"),
            c("long", "经度", false, "e.g. 116.3575 / 如 116.3575"),
        ],
    },
    SheetSpec {
        name: "buildings",
        zh: "楼栋",
        cols: &[
            c("community_code", "社区代码", true, ""),
            c("compound", "小区名称", true, ""),
            c("name", "楼栋名称", true, "e.g. 1号楼"),
            c("floors", "层数", true, "1–100"),
            c("entrances", "单元数", true, "1–20"),
            c("units_per_floor", "每层户数", true, "0–20"),
            c("unit_area", "每户面积", true, "m² / 平方米"),
        ],
    },
    SheetSpec {
        name: "companies",
        zh: "物业企业",
        cols: &[
            c("credit_code", "统一社会信用代码", true, "18 characters, checked (GB 32100-2015)"),
            c("name", "企业名称", true, ""),
            c("region_code", "注册地区划代码", true, "county or lower / 县级及以下区划代码"),
            c(
                "party_coverage",
                "党组织覆盖",
                true,
                "own_branch 单独组建 / joint_branch 联合组建 / instructor_only 党建指导员 / none 无",
            ),
            c(
                "party_coverage_from",
                "党组织覆盖起始日期",
                false,
                "YYYY-MM-DD: when a changed coverage took effect (default: today) / 覆盖情况变化的生效日期，缺省为当天",
            ),
        ],
    },
    SheetSpec {
        name: "owners_committees",
        zh: "业委会",
        cols: &[
            c("community_code", "社区代码", true, ""),
            c("compound", "小区名称", true, ""),
            c("name", "名称", true, "e.g. 丰华小区第二届业主委员会"),
            c("term_start", "任期开始", false, "YYYY-MM-DD"),
            c("term_end", "任期结束", false, "YYYY-MM-DD"),
            c("status", "状态", true, "in_office 在任 / expired 届满 / dissolved 解散"),
            c("is_pmc", "物业管理委员会", false, "是/否: a property management committee standing in / 物管会"),
        ],
    },
    SheetSpec {
        name: "party_orgs",
        zh: "党组织",
        cols: &[
            c("region_code", "区划代码", true, "where it sits: street, community… / 所在区划"),
            c("name", "名称", true, ""),
            c(
                "party_level",
                "类别",
                true,
                "street_working_committee 街道党工委 / community_committee 社区党委(总支) / compound_branch 小区党支部 / \
                 building_group 楼栋党小组 / industry_committee 物业行业党委 / company_branch 企业党支部 / joint_branch 联合党支部 / \
                 committee_branch 业委会党支部 / town_committee 镇党委 / village_committee 村党组织",
            ),
            c("compound", "小区名称", false, "for a compound branch or building group: the compound in region_code"),
            c("building", "楼栋", false, "for a building party group: the building it is set up in"),
            c(
                "covers",
                "所在组织",
                false,
                "company branch: the company's credit code; committee branch: the committee's name",
            ),
            c("parent", "上级党组织", false, "name of the parent party organisation in this or a higher region"),
            c("established", "成立日期", false, "YYYY-MM-DD; empty: since before records / 空：早于系统记录"),
        ],
    },
    SheetSpec {
        name: "other_orgs",
        zh: "其他组织",
        cols: &[
            c("kind", "类型", true, "sponsor_unit 包保单位 / cooperative 合作社 / red_station 红色驿站"),
            c("region_code", "区划代码", true, ""),
            c("name", "名称", true, ""),
            c(
                "compound",
                "小区名称",
                false,
                "for a red station: the compound it stands in, if any (the compounds it serves: compound_history kind red_station)",
            ),
            c(
                "established",
                "成立日期",
                false,
                "YYYY-MM-DD, e.g. when a red station opened; empty: since before records / 空：早于系统记录",
            ),
        ],
    },
    SheetSpec {
        name: "relations",
        zh: "组建关系",
        cols: &[
            c(
                "relation",
                "关系",
                true,
                "formed 组建 (party organisation → owners' committee) / founded 创办 (party organisation or cooperative → \
                 company) / helped_found 协助组建 (sponsor unit → party organisation)",
            ),
            c("from_kind", "发起方类型", true, "party_org / cooperative / sponsor_unit / company"),
            c("from_region", "发起方区划代码", false, "where it sits (not for a company)"),
            c("from_org", "发起方", true, "its name; a company's credit code"),
            c("to_kind", "对象类型", true, "owners_committee / company / party_org / red_station"),
            c("to_region", "对象区划代码", false, "where it sits (not for a company)"),
            c("to_org", "对象", true, "its name; a company's credit code"),
            c("date", "日期", false, "YYYY-MM-DD"),
        ],
    },
    SheetSpec {
        name: "people",
        zh: "人员",
        cols: &[
            c(
                "phone",
                "手机号",
                false,
                "the person's key; empty: the person is their name in this region (give a phone to tell namesakes apart)",
            ),
            c("name", "姓名", true, ""),
            c("is_party_member", "党员", false, "是/否"),
            c("is_public_servant", "公职人员", false, "是/否"),
            c(
                "servant_from",
                "公职身份起始日期",
                false,
                "YYYY-MM-DD: when the status given took effect; empty: since before records, or today for a change",
            ),
            c("employer", "工作单位", false, ""),
            c("region_code", "所属区划", true, "community (or higher) the person belongs to"),
        ],
    },
    SheetSpec {
        name: "posts",
        zh: "任职",
        cols: &[
            c("phone", "手机号", false, "a person of the people sheet or already stored; empty: give the name"),
            c("name", "姓名", false, "for a person without a phone: found by name near region_code"),
            c(
                "role",
                "职务",
                true,
                "secretary 书记 / deputy_secretary 副书记 / member 委员 / chair 主任 / vice_chair 副主任 / director 理事 / \
                 executive_director 执行董事 / service_director 总监 / supervisory_officer 监事 / group_leader 组长 / manager 经理 / \
                 building_head 楼长 / grid_worker 网格员 / community_worker 社区专职工作者",
            ),
            c(
                "org_kind",
                "组织类型",
                false,
                "party_org / company / owners_committee / sponsor_unit / cooperative / red_station",
            ),
            c("org", "组织", false, "its name (a company: its credit code)"),
            c(
                "region_code",
                "区划代码",
                true,
                "the organisation's region; for a grid or community worker, that grid or community",
            ),
            c("compound", "小区名称", false, "building head: the compound"),
            c("building", "楼栋", false, "building head: the building"),
            c(
                "entrance",
                "单元",
                false,
                "building head of one entrance (楼道长): e.g. 2 or 2单元; empty: the whole building",
            ),
            c("start_date", "任职开始", true, "YYYY-MM-DD"),
            c("end_date", "任职结束", false, "YYYY-MM-DD; empty while in post"),
        ],
    },
    SheetSpec {
        name: "compound_history",
        zh: "小区动态",
        cols: &[
            c("community_code", "社区代码", true, ""),
            c("compound", "小区名称", true, ""),
            c(
                "kind",
                "类别",
                true,
                "service_model 服务模式 / company 物业企业 / owners_committee 业委会 / party_branch 党支部 / red_station 红色驿站 / sponsor_unit 包保单位",
            ),
            c(
                "value",
                "内容",
                true,
                "service model (professional, party_led, cooperative, soe_backstop, self_managed, none); a company's credit code; \
                 otherwise the organisation's name",
            ),
            c("effective_from", "生效日期", true, "YYYY-MM-DD"),
        ],
    },
    SheetSpec {
        name: "owners",
        zh: "业主",
        cols: &[
            c("community_code", "社区代码", true, ""),
            c("compound", "小区名称", true, ""),
            c("building", "楼栋", true, "e.g. 1号楼"),
            c("entrance", "单元", false, "e.g. 1 or 1单元; empty when the number is unique in the building"),
            c("number", "房号", true, "e.g. 301"),
            c(
                "owners",
                "业主姓名",
                false,
                "one owner, or co-owners separated by 、 (they count as one owner); empty for the developer's",
            ),
            c("id_tails", "证件号后四位", false, "for each owner in the same order, separated by 、 (verifies claims)"),
            c("phone", "手机号", false, "the first owner's"),
            c("developer", "开发建设单位持有", false, "是: unsold or undelivered, held by the developer"),
            c("area", "专有部分面积", false, "m², at most 2 decimals; empty: keep the building's"),
            c(
                "area_source",
                "面积来源",
                false,
                "registered 登记 / surveyed 实测 / contract 合同 (the law prefers them in this order)",
            ),
            c("kind", "房屋类型", false, "dwelling 住宅 / parking 车位 / shop 商铺"),
            c("since", "产权起始日", true, "YYYY-MM-DD: the day they became owners"),
        ],
    },
];

/// Which spec a sheet name means (English or Chinese, case-insensitive).
pub fn sheet_spec(name: &str) -> Option<&'static SheetSpec> {
    let n = name.trim().to_lowercase();
    SHEETS.iter().find(|s| s.name == n || s.zh == n || n.contains(s.name) && n.contains(s.zh))
}

/// Which column a header cell means: `name`, `小区名称` or `小区名称 (name)`.
pub fn col_index(spec: &SheetSpec, header: &str) -> Option<usize> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    let inner = h.split_once('(').map(|(_, r)| r.trim_end_matches(')').trim().to_owned());
    let outer = h.split_once('(').map(|(l, _)| l.trim().to_owned()).unwrap_or_else(|| h.clone());
    spec.cols
        .iter()
        .position(|c| c.key == h || c.zh == h || inner.as_deref() == Some(c.key) || outer == c.zh || outer == c.key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_in_either_language() {
        assert_eq!(sheet_spec("网格").unwrap().name, "grids");
        let s = sheet_spec("小区").unwrap();
        assert_eq!(s.name, "compounds");
        assert_eq!(col_index(s, "小区名称"), Some(1));
        assert_eq!(col_index(s, "name"), Some(1));
        assert_eq!(col_index(s, "小区名称 (name)"), Some(1));
        assert_eq!(col_index(s, "Households"), Some(5));
        assert_eq!(col_index(s, "colour"), None);
        assert!(sheet_spec("Compounds").is_some());
        assert!(sheet_spec("sheet1").is_none());
    }
}
