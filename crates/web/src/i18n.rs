//! Every string a page shows, in Simplified Chinese and English, from this
//! one catalogue. Chinese is the default; `/lang/en` switches by cookie.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// The translator handed to every template as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn get(&self, key: &str) -> &'static str {
        match CATALOGUE.binary_search_by(|(k, _, _)| (*k).cmp(key)) {
            Ok(i) => match self.lang {
                Lang::Zh => CATALOGUE[i].1,
                Lang::En => CATALOGUE[i].2,
            },
            Err(_) => {
                tracing::warn!(key, "missing translation");
                "??"
            }
        }
    }

    /// A form field's name for people (`field.<name>`), else the name itself.
    pub fn field<'a>(&self, name: &'a str) -> &'a str {
        self.or("field.", name)
    }

    /// `prefix` + `value` in the reader's language, else the value itself (for
    /// codes that may outgrow the catalogue, like the audit log's actions).
    pub fn or<'a>(&self, prefix: &str, value: &'a str) -> &'a str {
        let key = format!("{prefix}{value}");
        match CATALOGUE.binary_search_by(|(k, _, _)| (*k).cmp(key.as_str())) {
            Ok(i) if self.is_zh() => CATALOGUE[i].1,
            Ok(i) => CATALOGUE[i].2,
            Err(_) => value,
        }
    }

    /// A key built from a prefix and a stored value, e.g. `level.` + `street`.
    pub fn of(&self, prefix: &str, value: &str) -> &'static str {
        self.get(&format!("{prefix}{value}"))
    }

    /// An instant as people here read it: Beijing time, to the minute.
    /// (Stored in UTC; every time on a page is shown in UTC+8.)
    pub fn time(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&domain::clock::china()).format("%Y-%m-%d %H:%M").to_string()
    }

    /// A stored timestamp text (RFC 3339, as the audit log keeps it) in
    /// Beijing time to the second; the text itself if it does not parse.
    pub fn stamp(&self, at: &str) -> String {
        match chrono::DateTime::parse_from_rfc3339(at) {
            Ok(t) => t.with_timezone(&domain::clock::china()).format("%Y-%m-%d %H:%M:%S").to_string(),
            Err(_) => at.to_owned(),
        }
    }

    pub fn is_zh(&self) -> bool {
        self.lang == Lang::Zh
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().strip_prefix("lang="))
            .find_map(Lang::parse);
        let from_accept = || {
            let al = parts.headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()?;
            // Only an explicit English-first browser gets English by default.
            al.trim_start().starts_with("en").then_some(Lang::En)
        };
        Ok(Tr { lang: from_cookie.or_else(from_accept).unwrap_or(Lang::Zh) })
    }
}

/// (key, 中文, English), sorted by key (checked by a test).
#[rustfmt::skip]
pub static CATALOGUE: &[(&str, &str, &str)] = &[
    ("account.created", "创建时间", "Created"),
    ("account.expires", "到期时间", "Expires"),
    ("account.grants", "我的角色与范围", "My roles and scopes"),
    ("account.last_used", "最近使用", "Last used"),
    ("account.logout_all", "退出所有设备", "Sign out everywhere"),
    ("account.new_token", "生成接口令牌", "Create API token"),
    ("account.no_tokens", "尚无接口令牌。", "No API tokens."),
    ("account.password", "修改密码", "Change password"),
    ("account.password_again", "再次输入新密码", "New password again"),
    ("account.password_changed", "密码已修改；其他设备上的登录已退出。", "Password changed; your other sessions have ended."),
    ("account.password_current", "当前密码", "Current password"),
    ("account.password_new", "新密码（至少 10 个字符）", "New password (at least 10 characters)"),
    ("account.password_revoke_tokens", "同时吊销我的全部接口令牌（推荐）", "Also revoke all my API tokens (recommended)"),
    ("account.revoke", "吊销", "Revoke"),
    ("account.revoked", "已吊销", "Revoked"),
    ("account.sessions", "登录会话", "Sessions"),
    ("account.state_active", "有效", "Active"),
    ("account.state_expired", "已过期", "Expired"),
    ("account.state_revoked", "已吊销", "Revoked"),
    ("account.title", "我的账户", "My account"),
    ("account.token_days", "有效天数", "Valid for (days)"),
    ("account.token_name", "令牌名称", "Token name"),
    ("account.token_once", "新令牌只显示这一次，请立即复制保存：", "The new token is shown only this once; copy it now:"),
    ("account.tokens", "接口令牌（API）", "API tokens"),
    ("account.tokens_kept", "接口令牌保留不变。", "Your API tokens remain valid."),
    ("account.tokens_revoked", "已吊销接口令牌 {n} 个。", "{n} API token(s) revoked."),
    ("action.add", "添加", "Add"),
    ("action.cancel", "取消", "Cancel"),
    ("action.edit", "编辑", "Edit"),
    ("action.filter", "筛选", "Filter"),
    ("action.new_compound", "新建小区", "New compound"),
    ("action.retire", "注销", "Retire"),
    ("action.retire_confirm", "注销后该小区不再计入统计，历史保留。确认注销？", "A retired compound leaves the counts; its history stays. Retire it?"),
    ("action.save", "保存", "Save"),
    ("action.set", "设置", "Set"),
    ("app.name", "共治", "gongzhi"),
    ("app.tagline", "党建引领物业管理与社区共治", "Party-led property management and community co-governance"),
    ("audit.act.bulk_load", "批量载入", "Bulk load"),
    ("audit.act.correct_fact", "更正历史", "Corrected history"),
    ("audit.act.create", "新建", "Created"),
    ("audit.act.disable", "停用账号", "Disabled"),
    ("audit.act.enable", "启用账号", "Enabled"),
    ("audit.act.grant", "授予角色", "Granted a role"),
    ("audit.act.import", "导入", "Imported"),
    ("audit.act.retire", "撤销（停用）", "Retired"),
    ("audit.act.revoke", "吊销", "Revoked"),
    ("audit.act.revoke_grant", "撤销角色", "Withdrew a role"),
    ("audit.act.set_fact", "登记变化", "Recorded a change"),
    ("audit.act.set_password", "设置密码", "Set the password"),
    ("audit.act.set_target", "设定目标", "Set a target"),
    ("audit.act.update", "修改", "Changed"),
    ("audit.action", "操作", "Action"),
    ("audit.actor", "操作人", "By"),
    ("audit.after", "变更后", "After"),
    ("audit.any", "全部", "Any"),
    ("audit.at", "时间（北京时间）", "Time (Beijing)"),
    ("audit.before", "变更前", "Before"),
    ("audit.chain_note", "每条记录包含上一条的哈希，篡改可被发现（gongzhi audit verify）。", "Each row carries the previous row's hash, so tampering shows (gongzhi audit verify)."),
    ("audit.change", "内容", "Change"),
    ("audit.entity.api_token", "接口令牌", "API token"),
    ("audit.entity.building", "楼栋", "Building"),
    ("audit.entity.compound", "小区", "Compound"),
    ("audit.entity.grant", "角色", "Role"),
    ("audit.entity.organisation", "组织", "Organisation"),
    ("audit.entity.person", "人员", "Person"),
    ("audit.entity.plan", "工作目标", "Plan"),
    ("audit.entity.post", "职务", "Post"),
    ("audit.entity.problem", "诉求", "Problem"),
    ("audit.entity.problem_category", "诉求类别", "Problem category"),
    ("audit.entity.region", "行政区划", "Region"),
    ("audit.entity.user", "用户", "User"),
    ("audit.from", "起始日期", "From"),
    ("audit.record", "对象", "Record"),
    ("audit.title", "操作日志", "Audit log"),
    ("audit.to", "截止日期", "To"),
    ("building.add", "添加楼栋", "Add a building"),
    ("building.area", "建筑面积（㎡）", "Floor area (m²)"),
    ("building.entrances", "单元数", "Entrances"),
    ("building.floors", "层数", "Floors"),
    ("building.name", "楼栋名称", "Building"),
    ("building.name_hint", "如：1号楼", "e.g. Building 1"),
    ("building.unit_area", "每户专有面积（㎡）", "Exclusive area per unit (m²)"),
    ("building.units", "户数", "Units"),
    ("building.units_per_floor", "每层户数", "Units per floor"),
    ("common.no", "否", "No"),
    ("common.yes", "是", "Yes"),
    ("compound.address", "地址", "Address"),
    ("compound.buildings", "楼栋", "Buildings"),
    ("compound.community", "所属社区／网格", "Community / grid"),
    ("compound.count", "小区数", "Compounds"),
    ("compound.created", "录入时间", "Recorded"),
    ("compound.edit", "编辑小区", "Edit compound"),
    ("compound.facts", "动态信息（按生效日期）", "Dated facts (by effective date)"),
    ("compound.floor_area", "总建筑面积（㎡）", "Total floor area (m²)"),
    ("compound.households", "户数", "Households"),
    ("compound.is_old", "老旧小区", "Old compound"),
    ("compound.list", "小区", "Compounds"),
    ("compound.model", "物业服务模式", "Property-service model"),
    ("compound.model_from", "生效日期", "Effective from"),
    ("compound.name", "小区名称", "Compound"),
    ("compound.new", "新建小区", "New compound"),
    ("compound.no_buildings", "尚未登记楼栋。", "No buildings recorded yet."),
    ("compound.no_facts", "尚无动态信息。", "No dated facts yet."),
    ("compound.none_found", "没有符合条件的小区。", "No compounds match."),
    ("compound.orgs", "小区组织", "Organisations of this compound"),
    ("compound.region_code", "社区或网格代码", "Community or grid code"),
    ("compound.retired", "已注销", "Retired"),
    ("compound.search", "按名称搜索", "Search by name"),
    ("compound.set_model", "变更物业服务模式", "Change the service model"),
    ("compound.set_org", "变更物业企业、业委会、党支部等", "Change the company, committee, party branch…"),
    ("compound.units", "户", "Units"),
    ("compound.year_built", "建成年份", "Year built"),
    ("coverage.instructor_only", "仅选派党建指导员", "Party-building instructor only"),
    ("coverage.joint_branch", "联合党支部", "Joint party branch"),
    ("coverage.none", "未覆盖", "None"),
    ("coverage.own_branch", "单独组建党组织", "Own party branch"),
    ("cross.explain", "同一小区中，既在党组织任职、又在业委会或物业企业任职的人员", "People holding posts both in a compound's party organisation and in its owners' committee or serving company"),
    ("cross.other_post", "业委会／物业职务", "Committee / company post"),
    ("cross.party_post", "党组织职务", "Party post"),
    ("cross.title", "交叉任职", "Cross-appointments"),
    ("dash.as_of", "截至日期", "As of"),
    ("dash.base", "小区数", "Compounds"),
    ("dash.bulletin_docx", "下载通报（Word）", "Download the bulletin (Word)"),
    ("dash.bulletin_xlsx", "下载月度调度通报（Excel）", "Download the monthly bulletin (Excel)"),
    ("dash.change", "较上月", "vs last month"),
    ("dash.change_note", "变化（百分点）对比", "Changes (percentage points) since"),
    ("dash.community_workers", "社区专职工作者", "Community workers"),
    ("dash.gap", "距目标", "below target by"),
    ("dash.how", "指标怎么算", "How the figures are computed"),
    ("dash.instructor_only", "仅选派党建指导员的物业企业", "Companies with an instructor only"),
    ("dash.lag_note", "红色：未达到三年行动目标", "Red: below the three-year plan's target"),
    ("dash.ranking", "下级排名（按专业化物业覆盖率）", "Subdivisions ranked (by professional coverage)"),
    ("dash.red_stations", "红色驿站", "Red stations"),
    ("dash.target", "目标", "target"),
    ("dash.title", "红色物业指标", "Red Property figures"),
    ("dash.trend", "月度趋势", "Monthly trend"),
    ("drill.failing", "未达标的对象", "what does not meet it"),
    ("error.bad_request", "请求有误，请返回修改后重试。", "The request was not understood; go back and try again."),
    ("error.busy", "您或他人的导入仍在进行，请稍后再试。", "An import is still running; try again in a minute."),
    ("error.conflict", "与已有记录冲突", "Conflicts with an existing record"),
    ("error.forbidden", "您的角色无权在此执行该操作。", "Your role may not do this here."),
    ("error.internal", "服务器内部错误，请稍后再试或联系管理员。", "Internal error; try again later or ask the administrator."),
    ("error.invalid_input", "输入有误，请检查标出的字段。", "Some fields need attention."),
    ("error.not_found", "找不到该页面或记录。", "No such page or record."),
    ("error.title", "出错了", "Something went wrong"),
    ("fact.company", "物业企业", "Property company"),
    ("fact.correct", "更正日期", "Correct the date"),
    ("fact.kind", "类别", "Kind"),
    ("fact.org", "组织", "Organisation"),
    ("fact.owners_committee", "业主委员会", "Owners' committee"),
    ("fact.party_branch", "小区党支部", "Compound party branch"),
    ("fact.red_station", "红色驿站", "Red station"),
    ("fact.service_model", "物业服务模式", "Service model"),
    ("fact.sponsor_unit", "包保单位", "Sponsor unit"),
    ("fact.valid_from", "起", "From"),
    ("fact.valid_to", "止", "To"),
    ("fact.value", "内容", "Value"),
    ("field.accept_hours", "受理时限", "Accept within"),
    ("field.address", "地址", "Address"),
    ("field.as_of", "统计日期", "As of"),
    ("field.category", "类别", "Category"),
    ("field.code", "代码", "Code"),
    ("field.compound_id", "小区", "Compound"),
    ("field.credit_code", "统一社会信用代码", "Credit code"),
    ("field.description", "问题描述", "Description"),
    ("field.display_name", "姓名", "Name"),
    ("field.effective_from", "生效日期", "Effective from"),
    ("field.entrances", "单元数", "Entrances"),
    ("field.established", "成立日期", "Established"),
    ("field.file", "文件", "File"),
    ("field.floor_area", "建筑面积", "Floor area"),
    ("field.floors", "层数", "Floors"),
    ("field.grant", "角色", "Role"),
    ("field.households", "户数", "Households"),
    ("field.kind", "类型", "Kind"),
    ("field.kpi", "指标", "KPI"),
    ("field.location", "位置", "Location"),
    ("field.login", "登录名", "Login"),
    ("field.month", "月份", "Month"),
    ("field.name", "名称", "Name"),
    ("field.name_en", "英文名称", "English name"),
    ("field.name_zh", "中文名称", "Chinese name"),
    ("field.note", "说明", "Note"),
    ("field.org_id", "组织", "Organisation"),
    ("field.parent", "上级区划", "Parent region"),
    ("field.party_coverage_from", "党组织覆盖起始日期", "Party coverage from"),
    ("field.password", "密码", "Password"),
    ("field.percent", "百分比", "Percent"),
    ("field.phone", "电话", "Phone"),
    ("field.photo", "照片", "Photo"),
    ("field.rating", "评价", "Rating"),
    ("field.region", "区划", "Region"),
    ("field.resolve_hours", "办结时限", "Resolve within"),
    ("field.role", "角色", "Role"),
    ("field.row", "行", "Row"),
    ("field.scope", "范围", "Scope"),
    ("field.service_model", "服务模式", "Service model"),
    ("field.service_model_from", "服务模式生效日期", "Service model from"),
    ("field.state", "状态", "State"),
    ("field.step", "操作", "Step"),
    ("field.target", "目标", "Target"),
    ("field.units_per_floor", "每层户数", "Units per floor"),
    ("field.user", "账号", "Account"),
    ("field.valid_from", "起始日期", "Valid from"),
    ("field.year", "年份", "Year"),
    ("field.year_built", "建成年份", "Year built"),
    ("import.added", "新增", "Added"),
    ("import.checking", "正在检查并写入", "Checking and writing"),
    ("import.done", "导入完成", "Imported"),
    ("import.explain", "上传按模板填写的 Excel 工作簿（.xlsx）。全部行先检查，有任何错误则不写入任何数据；重复导入同一文件不会产生重复。", "Upload a workbook (.xlsx) made from the template. Every row is checked first; if any is wrong nothing is written. Importing the same file again changes nothing."),
    ("import.file", "工作簿文件", "Workbook"),
    ("import.nothing", "没有可导入的数据", "Nothing to import"),
    ("import.nothing_explain", "工作簿中的各工作表只有表头，没有数据行。请在模板中填写数据（说明页有每列的示例）后再上传。", "Every sheet of the workbook holds only its header. Fill in the template (its notes sheet has an example for each column) and upload it again."),
    ("import.reading", "正在读取工作簿…", "Reading the workbook…"),
    ("import.reason", "原因", "Reason"),
    ("import.rejected", "未导入：请修改以下错误后重新上传", "Nothing was imported: correct these and upload again"),
    ("import.sheet", "工作表", "Sheet"),
    ("import.submit", "检查并导入", "Check and import"),
    ("import.template", "下载模板", "Download the template"),
    ("import.title", "批量导入登记信息", "Import the registry"),
    ("import.unchanged", "未变", "Unchanged"),
    ("import.updated", "更新", "Updated"),
    ("import.wait", "本页每秒自动刷新；导入在后台进行，其他人的操作不受影响。", "This page refreshes every second; the import runs in the background while others keep working."),
    ("import.where", "位置（工作表!行:列）", "Where (sheet!row:column)"),
    ("kind.company", "物业企业", "Property company"),
    ("kind.cooperative", "合作社", "Cooperative"),
    ("kind.owners_committee", "业主委员会", "Owners' committee"),
    ("kind.party_org", "党组织", "Party organisation"),
    ("kind.red_station", "红色驿站", "Red station"),
    ("kind.sponsor_unit", "包保单位", "Sponsor unit"),
    ("kpi.base_def", "所有指标都按所选区划、截至所选日期计算：计入的小区（C）是位于该区划、当年已建成（或建成年份未知）且未注销的小区；各项动态信息（服务模式、物业企业、业委会、党支部等）按当日有效的记录计算，因此同一日期的数字任何时候重算都相同。分母为零时显示“—”。", "Every figure is for the chosen region as of the chosen date. The compounds counted (C) lie in the region, were built by that year (or their year is unknown) and were not retired by then; each dated fact (service model, company, committee, party branch…) counts as it stood that day, so a date's figures are the same whenever they are computed. When the base is empty the rate shows “—”."),
    ("kpi.committee_formation", "业委会组建率", "Owners' committee formation"),
    ("kpi.committee_party_coverage", "业委会党组织覆盖率", "Party coverage of owners' committees"),
    ("kpi.company_party_coverage", "物业企业党组织覆盖率", "Party coverage of property companies"),
    ("kpi.compound_party_coverage", "小区党组织覆盖率", "Compound party organisation coverage"),
    ("kpi.cross_appointment", "交叉任职率", "Cross-appointment rate"),
    ("kpi.full_coverage", "物业服务覆盖率", "Property service coverage"),
    ("kpi.professional_coverage", "专业化物业服务覆盖率", "Professional property service coverage"),
    ("kpi.servants_building_heads", "楼长中公职人员占比", "Public servants among building heads"),
    ("kpi.servants_two_committees", "“两委”成员中公职人员占比", "Public servants among the two committees"),
    ("kpidef.committee_formation", "当日有业主委员会（或物业管理委员会）的小区数 ÷ C。目标 ≥ 60%。", "Compounds with an owners' committee (or property management committee) that day ÷ C. Target ≥ 60%."),
    ("kpidef.committee_party_coverage", "当日在任的业委会中，建有党组织的业委会数 ÷ 在任业委会数。目标 ≥ 70%。", "Owners' committees in office that day with a party organisation set up in them ÷ committees in office. Target ≥ 70%."),
    ("kpidef.company_party_coverage", "当日为本区划小区服务的物业企业中，单独或联合建立党组织的企业数 ÷ 这些企业数。仅选派党建指导员的另行列出。目标 ≥ 90%。", "Of the companies serving the region's compounds that day, those with their own or a joint party organisation ÷ those companies. Instructor-only companies are listed apart. Target ≥ 90%."),
    ("kpidef.compound_party_coverage", "当日有小区党支部的小区数 ÷ C。", "Compounds covered by a compound party branch that day ÷ C."),
    ("kpidef.cross_appointment", "有党支部的小区中，有人同时在党支部和本小区业委会或服务企业任职的小区数 ÷ 有党支部的小区数。", "Of the compounds with a party branch, those where someone holds posts both in the branch and in the compound's committee or serving company ÷ compounds with a party branch."),
    ("kpidef.full_coverage", "有任何物业服务（含业主自治、单位自管）的小区数 ÷ C。目标 100%。", "Compounds with any service (self-managed included) ÷ C. Target 100%."),
    ("kpidef.professional_coverage", "由物业企业服务（专业化、社区党组织领办、集体经济合作社、国企兜底）的小区数 ÷ C。目标 ≥ 80%。", "Compounds served by a property company (professional, party-led, cooperative, state-owned backstop) ÷ C. Target ≥ 80%."),
    ("kpidef.servants_building_heads", "当日在任楼长中公职人员数 ÷ 楼长数。", "Public servants among building heads then in post ÷ building heads."),
    ("kpidef.servants_two_committees", "小区党支部与业委会当日在任成员（去重）中公职人员数 ÷ 成员数。", "Public servants among the people then serving on compound party branches and owners' committees (each person once) ÷ those people."),
    ("level.city", "市", "City"),
    ("level.community", "社区／村", "Community / village"),
    ("level.county", "县（市、区）", "County"),
    ("level.grid", "网格", "Grid"),
    ("level.province", "省", "Province"),
    ("level.street", "街道／乡镇", "Street / town"),
    ("login.failed", "用户名或密码错误。", "Wrong login or password."),
    ("login.login", "用户名", "Login"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("login.title", "登录", "Sign in"),
    ("login.wait_minutes", "登录失败次数过多，请 {n} 分钟后再试。", "Too many failed sign-ins; try again in {n} min."),
    ("login.wait_seconds", "登录失败次数过多，请 {n} 秒后再试。", "Too many failed sign-ins; try again in {n} s."),
    ("model.cooperative", "集体经济组织合作社", "Cooperative"),
    ("model.none", "无物业服务", "No property service"),
    ("model.party_led", "社区党组织领办", "Led by the community party organisation"),
    ("model.professional", "专业化物业服务企业", "Professional company"),
    ("model.self_managed", "业主自治／单位自管", "Self-managed"),
    ("model.soe_backstop", "国有物业兜底", "State-owned backstop"),
    ("model.unset", "未设置", "Not set"),
    ("nav.api", "接口文档", "API"),
    ("nav.audit", "操作日志", "Audit"),
    ("nav.compounds", "小区", "Compounds"),
    ("nav.dashboard", "指标看板", "Dashboard"),
    ("nav.home", "首页", "Home"),
    ("nav.import", "批量导入", "Import"),
    ("nav.login", "登录", "Sign in"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.notices", "消息", "Notices"),
    ("nav.organisations", "组织", "Organisations"),
    ("nav.people", "人员", "People"),
    ("nav.plan", "行动计划", "Plan"),
    ("nav.problems", "群众诉求", "Problems"),
    ("nav.regions", "行政区划", "Regions"),
    ("nav.switch_lang", "English", "中文"),
    ("nav.users", "用户", "Users"),
    ("nav.webhooks", "推送", "Webhooks"),
    ("notice.none", "暂无消息。", "Nothing yet."),
    ("notice.problem.accepted", "已受理", "was accepted"),
    ("notice.problem.closed", "已关闭", "was closed"),
    ("notice.problem.in_progress", "正在办理", "is being worked on"),
    ("notice.problem.rejected", "被退回，待上级复核", "was rejected; the level above will review it"),
    ("notice.problem.reopened", "重新办理", "was reopened"),
    ("notice.problem.resolved", "已办结，请评价", "was resolved: please rate it"),
    ("notice.problem.submitted", "已提交", "was submitted"),
    ("notice.problem.withdrawn", "已撤回", "was withdrawn"),
    ("notice.title", "消息通知", "Notices"),
    ("org.all_kinds", "全部类型", "All kinds"),
    ("org.coverage", "党组织覆盖", "Party coverage"),
    ("org.coverage_history", "党组织覆盖变化", "Party coverage over time"),
    ("org.covers", "所在组织", "Set up in"),
    ("org.credit_code", "统一社会信用代码", "Unified social credit code"),
    ("org.detail", "说明", "Details"),
    ("org.established", "成立日期", "Established"),
    ("org.kind", "类型", "Kind"),
    ("org.list", "组织", "Organisations"),
    ("org.parent", "上级党组织", "Parent organisation"),
    ("org.party_level", "党组织类别", "Party organisation"),
    ("org.pmc", "物业管理委员会", "Property management committee"),
    ("org.status", "状态", "Status"),
    ("org.term", "任期", "Term"),
    ("org.until_now", "至今", "now"),
    ("org.where", "所在", "Where"),
    ("page.next", "下一页", "Next"),
    ("page.of", "共", "of"),
    ("page.prev", "上一页", "Previous"),
    ("page.total", "条", "in all"),
    ("party.building_group", "楼栋党小组", "Building party group"),
    ("party.committee_branch", "业委会党支部", "Owners' committee party branch"),
    ("party.community_committee", "社区党委（总支）", "Community party committee"),
    ("party.company_branch", "企业党支部", "Company party branch"),
    ("party.compound_branch", "小区党支部", "Compound party branch"),
    ("party.industry_committee", "物业行业党委", "Property-industry party committee"),
    ("party.joint_branch", "联合党支部", "Joint party branch"),
    ("party.street_working_committee", "街道党工委", "Street party working committee"),
    ("pcats.accept_hours", "受理时限（小时）", "Accept within (hours)"),
    ("pcats.active", "状态", "Status"),
    ("pcats.add", "新增类别", "Add a category"),
    ("pcats.code", "代码", "Code"),
    ("pcats.name_en", "英文名称", "English name"),
    ("pcats.name_zh", "中文名称", "Chinese name"),
    ("pcats.note", "时限自上报时起计算；修改后的时限只对之后上报的诉求生效。停用的类别不再供新诉求选择，已有诉求保留其类别。", "Deadlines run from the report; a changed deadline applies to problems reported after the change. A withdrawn category is no longer offered for new reports; existing problems keep theirs."),
    ("pcats.offered", "启用", "Offered"),
    ("pcats.resolve_hours", "办结时限（小时）", "Resolve within (hours)"),
    ("pcats.title", "诉求类别与办理时限", "Problem categories and deadlines"),
    ("pcats.withdrawn", "已停用", "Withdrawn"),
    ("person.employer", "工作单位", "Employer"),
    ("person.list", "人员", "People"),
    ("person.name", "姓名", "Name"),
    ("person.party", "党员", "Party member"),
    ("person.phone", "电话", "Phone"),
    ("person.servant", "公职人员", "Public servant"),
    ("phandler.community", "社区", "Community"),
    ("phandler.company", "物业企业", "Property company"),
    ("pick.compound_hint", "输入小区名称，从列表中选择", "Type the compound's name and pick it from the list"),
    ("plan.general", "各年度目标", "Yearly targets"),
    ("plan.kpi", "指标", "Figure"),
    ("plan.none", "暂无。", "None."),
    ("plan.percent", "目标（%）", "Target (%)"),
    ("plan.region", "区划代码（留空为全域目标，仅管理员）", "Region code (empty: the general target, administrators only)"),
    ("plan.regional", "区域更严格目标", "Stricter targets for regions"),
    ("plan.set", "设置目标", "Set a target"),
    ("plan.year", "年度", "Year"),
    ("post.at", "任职于", "At"),
    ("post.list", "任职", "Posts"),
    ("post.role", "职务", "Role"),
    ("prating.basically_satisfied", "基本满意", "Basically satisfied"),
    ("prating.satisfied", "满意", "Satisfied"),
    ("prating.unsatisfied", "不满意", "Unsatisfied"),
    ("problem.accept_by", "受理期限", "Accept by"),
    ("problem.alike_hint", "该小区近 7 天已有 {n} 条同类诉求正在办理；如是同一问题，可不必重复反映（仍可提交）。", "{n} reports of this kind from this compound are being handled (last 7 days); if it is the same problem you need not report it again (you still may)."),
    ("problem.all", "查看全部", "Show all"),
    ("problem.any_category", "全部类别", "Any category"),
    ("problem.any_state", "全部状态", "Any state"),
    ("problem.category", "类别", "Category"),
    ("problem.description", "问题描述", "What is wrong"),
    ("problem.done", "已提交，当前状态：", "Done. The problem is now: "),
    ("problem.due", "办结期限", "Due"),
    ("problem.duplicates", "可能与以下未办结的同类问题重复：", "Possibly the same as these open problems:"),
    ("problem.export", "导出 Excel", "Export to Excel"),
    ("problem.handler", "承办", "Handled by"),
    ("problem.list", "群众诉求", "Residents' problems"),
    ("problem.location", "具体位置（楼栋、单元等，可选）", "Where in the compound (building, entrance… optional)"),
    ("problem.location_hint", "如：3号楼2单元", "e.g. building 3, entrance 2"),
    ("problem.none", "没有符合条件的诉求。", "No problems match."),
    ("problem.note", "说明（退回时必填）", "Note (required to reject)"),
    ("problem.open_only", "只看未办结", "Open only"),
    ("problem.overdue", "已超期", "Overdue"),
    ("problem.photo", "照片（可选，JPEG/PNG/WebP，不超过5MB）", "Photo (optional; JPEG, PNG or WebP, at most 5 MB)"),
    ("problem.rate_it", "请评价处理结果：", "Rate the outcome:"),
    ("problem.rating", "评价", "Rating"),
    ("problem.rating_note", "您的意见（可选；不满意请说明原因）", "Your comment (optional; if not satisfied, say why)"),
    ("problem.reason", "退回理由", "Reason for rejection"),
    ("problem.report", "我要反映问题", "Report a problem"),
    ("problem.reporter", "反映人", "Reported by"),
    ("problem.search", "搜索（编号、描述、位置）", "Search (number, description, place)"),
    ("problem.site_photo", "现场照片（可选，如处理后的照片）", "Photo of the site (optional, e.g. after the work)"),
    ("problem.state", "状态", "State"),
    ("problem.submit", "提交", "Submit"),
    ("problem.submitted", "反映时间", "Reported"),
    ("problem.supervised", "督办层级", "Supervised at"),
    ("problem.timeline", "办理过程", "Timeline"),
    ("problem.where", "位置", "Where"),
    ("pstate.accepted", "已受理", "Accepted"),
    ("pstate.closed", "已关闭", "Closed"),
    ("pstate.in_progress", "办理中", "In progress"),
    ("pstate.rejected", "已退回", "Rejected"),
    ("pstate.reopened", "重新办理", "Reopened"),
    ("pstate.resolved", "已办结", "Resolved"),
    ("pstate.submitted", "已提交", "Submitted"),
    ("pstate.withdrawn", "已撤回", "Withdrawn"),
    ("pstep.accept", "受理", "Accept"),
    ("pstep.auto_close", "逾期未评价自动关闭", "Closed unrated"),
    ("pstep.close", "关闭", "Close"),
    ("pstep.escalate", "超期上提督办", "Overdue, escalated to"),
    ("pstep.overturn_rejection", "撤销退回", "Overturn the rejection"),
    ("pstep.photo", "添加照片", "Photo added"),
    ("pstep.rate", "评价", "Rated"),
    ("pstep.reject", "退回", "Reject"),
    ("pstep.reopen", "重新办理", "Reopen"),
    ("pstep.resolve", "办结", "Resolve"),
    ("pstep.start", "开始办理", "Start"),
    ("pstep.submit", "提交", "Reported"),
    ("pstep.uphold_rejection", "维持退回", "Uphold the rejection"),
    ("pstep.withdraw", "撤回", "Withdraw"),
    ("queue.all", "全部", "All"),
    ("queue.closed", "已办结", "Closed"),
    ("queue.new", "新诉求", "New"),
    ("queue.overdue", "已超期", "Overdue"),
    ("queue.rate", "待评价", "To rate"),
    ("queue.review", "待复核", "To review"),
    ("queue.work", "待办", "To do"),
    ("rate.by_company", "各物业企业诉求办理", "Problems by property company"),
    ("rate.by_region", "各区划诉求办理", "Problems by region"),
    ("rate.col_company", "物业企业", "Property company"),
    ("rate.col_region", "区划", "Region"),
    ("rate.on_time", "按时办结率", "On-time rate"),
    ("rate.resolution", "解决率", "Resolution rate"),
    ("rate.response", "响应率", "Response rate"),
    ("rate.satisfaction", "满意率", "Satisfaction rate"),
    ("rate.submitted", "诉求数", "Reported"),
    ("rate.title", "群众诉求办理", "Residents' problems"),
    ("region.children", "下级区划", "Subdivisions"),
    ("region.code", "代码", "Code"),
    ("region.compounds_here", "辖区小区", "Compounds in this area"),
    ("region.level", "层级", "Level"),
    ("region.name", "名称", "Name"),
    ("region.no_children", "没有下级区划。", "No subdivisions."),
    ("region.roots", "全国省级行政区", "Provinces"),
    ("region.subdivisions", "下级数", "Subdivisions"),
    ("role.admin", "系统管理员", "Administrator"),
    ("role.committee", "业委会", "Owners' committee"),
    ("role.company", "物业企业", "Property company"),
    ("role.officer", "县／街道干部", "County / street officer"),
    ("role.resident", "居民", "Resident"),
    ("role.supervisor", "市级监管", "Supervisor"),
    ("role.worker", "社区／网格员", "Community / grid worker"),
    ("role_post.building_head", "楼长", "Building head"),
    ("role_post.chair", "主任", "Chair"),
    ("role_post.community_worker", "社区专职工作者", "Community worker"),
    ("role_post.deputy_secretary", "副书记", "Deputy secretary"),
    ("role_post.director", "理事", "Director"),
    ("role_post.grid_worker", "网格员", "Grid worker"),
    ("role_post.manager", "经理", "Manager"),
    ("role_post.member", "委员", "Member"),
    ("role_post.secretary", "书记", "Secretary"),
    ("status.dissolved", "已解散", "Dissolved"),
    ("status.expired", "届满", "Expired"),
    ("status.in_office", "在任", "In office"),
    ("sup.escalated", "已上提督办", "Escalated"),
    ("sup.open", "未办结", "Open"),
    ("sup.overdue", "超期", "Overdue"),
    ("sup.title", "诉求督办（未办结）", "Problems under supervision (open)"),
    ("unit.area", "专有面积（㎡）", "Exclusive area (m²)"),
    ("unit.entrance", "单元", "Entrance"),
    ("unit.floor", "楼层", "Floor"),
    ("unit.number", "房号", "Unit"),
    ("users.account", "账号", "Account"),
    ("users.add_grant", "添加角色", "Add role"),
    ("users.choose_role", "请选择角色", "Choose a role"),
    ("users.confirm_disable", "确定停用这个账号吗？其会话和接口令牌将全部失效。", "Disable this account? Its sessions and API tokens all end."),
    ("users.confirm_reset", "确定重置密码吗？该用户的会话和接口令牌将全部失效。", "Reset the password? All of the user's sessions and API tokens end."),
    ("users.confirm_withdraw", "确定撤销这个角色吗？该用户将立即失去相应权限。", "Withdraw this role? The user loses its rights at once."),
    ("users.count", "账号数", "Accounts"),
    ("users.create", "创建并生成初始密码", "Create with a generated password"),
    ("users.disable", "停用账号", "Disable"),
    ("users.disabled", "已停用", "Disabled"),
    ("users.enable", "启用账号", "Enable"),
    ("users.enabled", "正常", "Active"),
    ("users.grants", "角色与范围", "Roles and scopes"),
    ("users.login", "登录名", "Login"),
    ("users.name", "姓名", "Name"),
    ("users.new", "新建用户", "New user"),
    ("users.password_once", "初始密码只显示这一次，请转交本人并提醒其登录后修改：", "The password is shown this once; pass it on and ask them to change it after signing in:"),
    ("users.reset_password", "重置密码", "Reset password"),
    ("users.role", "角色", "Role"),
    ("users.scope", "范围", "Scope"),
    ("users.scope_all", "全部", "Everything"),
    ("users.scope_help", "范围随角色而定：系统管理员为全部；监管、干部、社区／网格员为区划（输入名称或代码）；物业企业为企业；业委会为小区；居民为房屋（输入“小区 楼栋 房号”，如“东风 1号楼 301”）。也可直接填写 all、区划代码、company:编号、compound:编号或 unit:编号。", "The scope follows the role: everything for an administrator; a region (type its name or code) for supervisors, officers and workers; a company; a compound for a committee; a home for a resident (type \"compound building number\", e.g. \"Dongfeng 1号楼 301\"). all, a region code, company:ID, compound:ID or unit:ID also work."),
    ("users.scope_hint", "先选角色，再输入名称从列表中选择", "Choose the role, then type a name and pick from the list"),
    ("users.search", "登录名或姓名", "Login or name"),
    ("users.title", "用户管理", "Users"),
    ("users.tokens_revoked", "该用户的接口令牌已全部吊销（{n} 个）。", "All of their API tokens were revoked ({n})."),
    ("users.withdraw", "撤销", "Withdraw"),
    ("webhook.add", "添加", "Add"),
    ("webhook.attempts", "尝试次数", "Tries"),
    ("webhook.delivered", "已送达", "Delivered"),
    ("webhook.event", "事件", "Event"),
    ("webhook.explain", "每当诉求状态变化，系统向这些地址发送 JSON（POST），请求头 X-Gongzhi-Signature 为以密钥计算的 HMAC-SHA256 签名；失败会在 1 分钟、5 分钟、30 分钟、2 小时、12 小时后重试。短信、微信等网关可经此接入。", "Each time a problem changes state, a JSON POST goes to these addresses, signed with HMAC-SHA256 under the secret (header X-Gongzhi-Signature); failures are retried after 1 min, 5 min, 30 min, 2 h and 12 h. SMS or WeChat gateways can be connected this way."),
    ("webhook.gave_up", "已放弃", "Given up"),
    ("webhook.last", "最近结果", "Last answer"),
    ("webhook.log", "推送记录", "Deliveries"),
    ("webhook.next", "下次重试", "Next try"),
    ("webhook.resume", "恢复", "Resume"),
    ("webhook.secret_once", "签名密钥只显示这一次，请配置到接收方：", "The signing secret is shown this once; configure it at the receiver:"),
    ("webhook.stop", "停用", "Stop"),
    ("webhook.title", "消息推送（Webhook）", "Webhooks"),
    ("webhook.url", "接收地址（URL）", "Address (URL)"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_and_unique() {
        for w in CATALOGUE.windows(2) {
            assert!(w[0].0 < w[1].0, "{} must sort before {}", w[0].0, w[1].0);
        }
    }

    #[test]
    fn every_template_key_is_in_the_catalogue() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.get(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(CATALOGUE.iter().any(|(k, _, _)| *k == key), "{}: key {key} missing", path.display());
            }
        }
    }

    #[test]
    fn switches_language() {
        assert_eq!(Tr { lang: Lang::Zh }.get("nav.regions"), "行政区划");
        assert_eq!(Tr { lang: Lang::En }.get("nav.regions"), "Regions");
    }
}
