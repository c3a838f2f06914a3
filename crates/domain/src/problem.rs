//! Residents' problems (诉求): the workflow, its deadlines, escalation and the
//! hotline's rates. Pure rules; the clock is always passed in.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::{Invalid, Level};

text_enum!(
    /// submitted → accepted → in_progress → resolved → closed; or rejected; reopened when the resident is not satisfied.
    State, "state", "state of a problem", "诉求状态" {
        Submitted = "submitted",
        Accepted = "accepted",
        InProgress = "in_progress",
        Resolved = "resolved",
        Closed = "closed",
        Rejected = "rejected",
        Reopened = "reopened",
        /// The resident took the report back before it was resolved (撤回); not counted in the rates.
        Withdrawn = "withdrawn",
    }
);

text_enum!(
    /// Who handles a problem: the company serving its compound, else its community.
    Handler, "handler_kind", "handler", "承办方" {
        Company = "company",
        Community = "community",
    }
);

text_enum!(
    /// What someone does to a problem.
    Step, "step", "step", "可执行的操作" {
        Accept = "accept",
        Start = "start",
        Resolve = "resolve",
        Reject = "reject",
        Reopen = "reopen",
        Close = "close",
        UpholdRejection = "uphold_rejection",
        OverturnRejection = "overturn_rejection",
        Withdraw = "withdraw",
        /// Press the handler with a note (督办), leaving the state as it is.
        Urge = "urge",
    }
);

impl Step {
    /// Says no to what was asked: pages mark its button as such.
    pub fn refuses(self) -> bool {
        matches!(self, Step::Reject | Step::UpholdRejection | Step::Withdraw)
    }
}

text_enum!(
    /// The resident's rating of the outcome.
    Rating, "rating", "rating", "有效的评价" {
        Satisfied = "satisfied",
        BasicallySatisfied = "basically_satisfied",
        Unsatisfied = "unsatisfied",
    }
);

/// A category of problems with its deadlines. Categories are data: the
/// defaults are installed with the database (utilities resolved within 24 h,
/// emergencies within 2 h, the rest accepted within 24 h and resolved within
/// 7 days; migration m0008), administrators add,
/// rename, re-time or withdraw them. A problem keeps its category's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = ProblemCategory))]
pub struct Category {
    /// Stable key: lower-case letters, digits and '_' (also the Open311 service_code).
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// Hours to accept, and to resolve, from the report.
    pub accept_hours: i64,
    pub resolve_hours: i64,
    /// Offered for new reports (withdrawn ones stay on old problems).
    pub active: bool,
}

impl Category {
    /// Check a category as entered: a code, both names, and deadlines from
    /// 1 hour to a year, accepting no later than resolving.
    pub fn new(
        code: &str,
        name_zh: &str,
        name_en: &str,
        accept_hours: i64,
        resolve_hours: i64,
        active: bool,
    ) -> Result<Category, Vec<Invalid>> {
        let mut errors = Vec::new();
        let code = code.trim();
        if code.is_empty()
            || code.len() > 32
            || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            errors.push(
                Invalid::new("code", "use 1–32 lower-case letters, digits or _").zh("请使用 1–32 个小写字母、数字或 _"),
            );
        }
        let (name_zh, name_en) = (name_zh.trim(), name_en.trim());
        if name_zh.is_empty() || name_zh.chars().count() > 40 {
            errors.push(
                Invalid::new("name_zh", "give a Chinese name of 1–40 characters").zh("请填写 1–40 个字的中文名称"),
            );
        }
        if name_en.is_empty() || name_en.chars().count() > 60 {
            errors.push(
                Invalid::new("name_en", "give an English name of 1–60 characters").zh("请填写 1–60 个字符的英文名称"),
            );
        }
        const YEAR: i64 = 366 * 24;
        if !(1..=YEAR).contains(&accept_hours) {
            errors.push(Invalid::new("accept_hours", "between 1 hour and a year").zh("须在 1 小时到 1 年之间"));
        }
        if !(1..=YEAR).contains(&resolve_hours) {
            errors.push(Invalid::new("resolve_hours", "between 1 hour and a year").zh("须在 1 小时到 1 年之间"));
        } else if accept_hours > resolve_hours {
            errors.push(
                Invalid::new("resolve_hours", "cannot be shorter than the time to accept").zh("不能短于受理时限"),
            );
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Category {
            code: code.to_owned(),
            name_zh: name_zh.to_owned(),
            name_en: name_en.to_owned(),
            accept_hours,
            resolve_hours,
            active,
        })
    }

    pub fn name(&self, zh: bool) -> &str {
        if zh { &self.name_zh } else { &self.name_en }
    }
}

text_enum!(
    /// The work lists of the inbox. `work` (the default) is everything not
    /// closed: a rejection awaits the review of the level above, a resolved
    /// problem the resident's rating, so both are still someone's work.
    Queue, "view", "list", "列表" {
        Work = "work",
        New = "new",
        Overdue = "overdue",
        Review = "review",
        Rate = "rate",
        Closed = "closed",
        All = "all",
    }
);

text_enum!(
    /// How a list of problems is ordered: overdue and nearest deadline
    /// first (the default), newest or oldest reports first, or by deadline alone.
    Order, "order", "order of a list", "排序" {
        Urgent = "urgent",
        Newest = "newest",
        Oldest = "oldest",
        Due = "due",
    }
);

impl Queue {
    /// The states a problem on this list is in (empty: any).
    pub fn states(self) -> &'static [State] {
        use State::*;
        match self {
            Queue::Work | Queue::Overdue => &[Submitted, Accepted, InProgress, Resolved, Rejected, Reopened],
            Queue::New => &[Submitted, Reopened],
            Queue::Review => &[Rejected],
            Queue::Rate => &[Resolved],
            Queue::Closed => &[Closed, Withdrawn],
            Queue::All => &[],
        }
    }

    /// Only problems past a deadline.
    pub fn overdue_only(self) -> bool {
        self == Queue::Overdue
    }
}

/// Longest note on a step or a rating.
pub const NOTE_MAX: usize = 500;

/// A note as given with a step or a rating: trimmed, at most `NOTE_MAX`
/// characters, none that cannot be stored and shown.
pub fn note(s: &str) -> Result<&str, Invalid> {
    let s = s.trim();
    if s.chars().count() > NOTE_MAX {
        return Err(
            Invalid::new("note", format!("at most {NOTE_MAX} characters")).zh(format!("说明不超过 {NOTE_MAX} 个字"))
        );
    }
    crate::text::check("note", s)?;
    Ok(s)
}

impl State {
    pub fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Rejected | State::Withdrawn)
    }

    /// Nobody has anything more to do with it: closed, or taken back.
    pub fn is_final(self) -> bool {
        matches!(self, State::Closed | State::Withdrawn)
    }

    /// Open311's two states.
    pub fn open311(self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }
}

/// Who acts: the handler (company or community), the resident, the level
/// above the handler (reviewing a rejection), or an overseer: the compound's
/// owners' committee, or the community over a company, who may press the
/// handler (督办) but decide nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Handler,
    Resident,
    Supervisor,
    Overseer,
}

/// The state after `step`, if `by` may take it from `from`.
pub fn next(from: State, step: Step, by: By) -> Result<State, Invalid> {
    use {By::*, State::*, Step::*};
    let to = match (from, step, by) {
        (Submitted | Reopened, Accept, Handler) => Accepted,
        (Accepted, Start, Handler) => InProgress,
        (Accepted | InProgress, Resolve, Handler) => Resolved,
        (Submitted | Reopened | Accepted, Reject, Handler) => Rejected,
        (Resolved, Reopen, Resident) => Reopened,
        (Resolved, Close, Resident | Supervisor) => Closed,
        (Rejected, UpholdRejection, Supervisor) => Closed,
        (Rejected, OverturnRejection, Supervisor) => Reopened,
        // Until it is resolved, the resident may take it back.
        (Submitted | Accepted | InProgress | Reopened | Rejected, Withdraw, Resident) => Withdrawn,
        // Pressing the handler changes nothing but the record of it.
        (Submitted | Accepted | InProgress | Reopened, Urge, Overseer | Supervisor) => from,
        _ => {
            return Err(Invalid::new("step", format!("cannot {} a {} problem here", step.as_str(), from.as_str()))
                .zh(format!("此处不能对处于“{}”状态的诉求执行“{}”", step.as_str(), from.as_str())));
        }
    };
    Ok(to)
}

impl Rating {
    /// Counts as satisfied (满意 or 基本满意) in the satisfaction rate.
    pub fn satisfied(self) -> bool {
        matches!(self, Rating::Satisfied | Rating::BasicallySatisfied)
    }
}

/// The outcome of a rating: closed when satisfied (fully or basically), reopened otherwise.
pub fn after_rating(r: Rating) -> State {
    if r.satisfied() { State::Closed } else { State::Reopened }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deadlines {
    pub accept_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
}

pub fn deadlines(c: &Category, submitted_at: DateTime<Utc>) -> Deadlines {
    Deadlines {
        accept_by: submitted_at + Duration::hours(c.accept_hours),
        resolve_by: submitted_at + Duration::hours(c.resolve_hours),
    }
}

/// Whether a problem in `state` is past a deadline at `now`.
pub fn overdue(state: State, d: Deadlines, now: DateTime<Utc>) -> bool {
    match state {
        State::Submitted | State::Reopened => now > d.accept_by || now > d.resolve_by,
        State::Accepted | State::InProgress => now > d.resolve_by,
        _ => false,
    }
}

/// Where an overdue problem goes for supervision: one level up from where it
/// is supervised now (community → street → county; a county stays).
pub fn escalate(at: Level) -> Level {
    match at {
        Level::Grid | Level::Community => Level::Street,
        Level::Street => Level::County,
        other => other,
    }
}

/// An unrated resolved problem closes itself after this many days.
pub const AUTO_CLOSE_DAYS: i64 = 7;

pub fn auto_closes(state: State, resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    state == State::Resolved && resolved_at.is_some_and(|t| now - t >= Duration::days(AUTO_CLOSE_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn the_workflow_goes_only_where_it_may() {
        use {By::*, State::*, Step::*};
        assert_eq!(next(Submitted, Accept, Handler).unwrap(), Accepted);
        assert_eq!(next(Accepted, Resolve, Handler).unwrap(), Resolved);
        assert_eq!(next(Resolved, Reopen, Resident).unwrap(), Reopened);
        assert_eq!(next(Reopened, Accept, Handler).unwrap(), Accepted);
        assert_eq!(next(Rejected, OverturnRejection, Supervisor).unwrap(), Reopened);
        // An overseer presses the handler and decides nothing.
        assert_eq!(next(InProgress, Urge, Overseer).unwrap(), InProgress);
        assert!(next(Resolved, Urge, Overseer).is_err());
        for step in [Accept, Resolve, Reject, Close, UpholdRejection, OverturnRejection, Withdraw] {
            for from in [Submitted, Accepted, InProgress, Resolved, Rejected, Reopened] {
                assert!(next(from, step, Overseer).is_err(), "{step:?} from {from:?}");
            }
        }
        assert!(next(Submitted, Urge, Handler).is_err());
        // Every state but the final ones is on the default work list: nothing waits unseen.
        for s in State::ALL {
            assert_eq!(Queue::Work.states().contains(s), !s.is_final(), "{s:?}");
        }
        assert_eq!(next(InProgress, Withdraw, Resident).unwrap(), Withdrawn);
        assert!(next(Resolved, Withdraw, Resident).is_err(), "a resolved problem is rated, not withdrawn");
        assert!(next(Submitted, Withdraw, Handler).is_err(), "only the resident takes it back");
        assert_eq!(next(Rejected, UpholdRejection, Supervisor).unwrap(), Closed);
        assert!(next(Submitted, Resolve, Handler).is_err(), "accept first");
        assert!(next(Submitted, Accept, Resident).is_err(), "residents do not accept");
        assert!(next(Closed, Reopen, Resident).is_err());
        assert!(next(Rejected, OverturnRejection, Handler).is_err(), "only the level above reviews a rejection");
        assert_eq!(after_rating(Rating::BasicallySatisfied), Closed);
        assert_eq!(after_rating(Rating::Unsatisfied), Reopened);
        assert_eq!((Reopened.open311(), Closed.open311()), ("open", "closed"));
    }

    #[test]
    fn categories_are_checked_as_entered() {
        let c = Category::new(" noise ", "噪音扰民", "Noise", 24, 72, true).unwrap();
        assert_eq!((c.code.as_str(), c.name(true), c.name(false)), ("noise", "噪音扰民", "Noise"));
        let e = Category::new("Noise!", "", "Noise", 0, 9000, true).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|i| i.field).collect();
        assert_eq!(fields, ["code", "name_zh", "accept_hours", "resolve_hours"]);
        let e = Category::new("noise", "噪音", "Noise", 48, 24, true).unwrap_err();
        assert_eq!(e[0].field, "resolve_hours", "accepting after the resolve deadline makes no sense");
    }

    #[test]
    fn deadlines_overdue_escalation_and_auto_close() {
        let at = t("2026-01-05T08:00:00Z");
        let cat = |code: &str| match code {
            "utilities" => Category::new(code, "水电气暖", "Utilities", 4, 24, true).unwrap(),
            "emergency" => Category::new(code, "紧急情况", "Emergency", 1, 2, true).unwrap(),
            _ => Category::new(code, "其他", "Other", 24, 168, true).unwrap(),
        };
        let d = deadlines(&cat("utilities"), at);
        assert_eq!(d.resolve_by, t("2026-01-06T08:00:00Z"));
        assert!(!overdue(State::Accepted, d, t("2026-01-06T08:00:00Z")), "on the deadline is not yet late");
        assert!(overdue(State::Accepted, d, t("2026-01-06T08:00:01Z")));
        assert!(overdue(State::Submitted, d, t("2026-01-05T12:00:01Z")), "not accepted within 4 h");
        assert!(!overdue(State::Resolved, d, t("2027-01-01T00:00:00Z")));
        assert_eq!(deadlines(&cat("emergency"), at).resolve_by, t("2026-01-05T10:00:00Z"));
        assert_eq!(deadlines(&cat("general"), at).resolve_by, t("2026-01-12T08:00:00Z"));
        assert_eq!(escalate(Level::Community), Level::Street);
        assert_eq!(escalate(Level::Street), Level::County);
        assert_eq!(escalate(Level::County), Level::County);
        let resolved = Some(t("2026-01-10T00:00:00Z"));
        assert!(!auto_closes(State::Resolved, resolved, t("2026-01-16T23:59:59Z")));
        assert!(auto_closes(State::Resolved, resolved, t("2026-01-17T00:00:00Z")));
    }
}

/// The hotline's counts over a period (the rates are made from them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema), schema(as = HotlineCounts))]
pub struct Rates {
    pub submitted: i64,
    /// Accepted by the accept deadline.
    pub responded: i64,
    /// Resolved (and possibly closed since).
    pub resolved: i64,
    /// Resolved by the resolve deadline.
    pub on_time: i64,
    pub rated: i64,
    /// Rated satisfied or basically satisfied.
    pub satisfied: i64,
}

impl Rates {
    pub fn response(&self) -> crate::kpi::Ratio {
        crate::kpi::Ratio::new(self.responded, self.submitted)
    }
    pub fn resolution(&self) -> crate::kpi::Ratio {
        crate::kpi::Ratio::new(self.resolved, self.submitted)
    }
    pub fn on_time(&self) -> crate::kpi::Ratio {
        crate::kpi::Ratio::new(self.on_time, self.resolved)
    }
    pub fn satisfaction(&self) -> crate::kpi::Ratio {
        crate::kpi::Ratio::new(self.satisfied, self.rated)
    }
}

/// Photos: at most this many bytes each.
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The image type of `bytes` by their content (not by a name or a claimed
/// type): JPEG, PNG or WebP, else an error.
pub fn photo_type(bytes: &[u8]) -> Result<&'static str, Invalid> {
    if bytes.len() > PHOTO_MAX_BYTES {
        return Err(Invalid::new(
            "photo",
            format!("a photo may be at most 5 MB; this one is {:.1} MB", bytes.len() as f64 / 1048576.0),
        )
        .zh(format!("照片不能超过 5 MB；这张为 {:.1} MB", bytes.len() as f64 / 1048576.0)));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Ok("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(Invalid::new("photo", "only JPEG, PNG or WebP photos are accepted")
            .zh("只接受 JPEG、PNG 或 WebP 格式的照片"))
    }
}

/// A link to a report's media that a client sent (Open311 `media_url`):
/// an absolute http(s) address of at most 2,000 characters, kept as given and
/// never fetched by the server. Blank: none.
pub fn check_media_url(url: &str) -> Result<Option<String>, Invalid> {
    let u = url.trim();
    if u.is_empty() {
        return Ok(None);
    }
    let scheme_ok = ["http://", "https://"].iter().any(|p| u.len() > p.len() && u[..p.len()].eq_ignore_ascii_case(p));
    // A host, and no user:password@ before it.
    let authority = u.split_once("://").map(|(_, rest)| rest.split(['/', '?', '#']).next().unwrap_or_default());
    let host_ok = authority.is_some_and(|a| !a.is_empty() && !a.contains('@'));
    // Only the characters a URL is made of (RFC 3986; others percent-encoded).
    let chars_ok = u.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b));
    if u.len() > 2000 || !scheme_ok || !host_ok || !chars_ok {
        return Err(Invalid::new("media_url", "media_url is an http(s) address of at most 2,000 characters")
            .zh("media_url 须为不超过 2000 个字符的 http(s) 地址"));
    }
    Ok(Some(u.to_owned()))
}

#[cfg(test)]
mod photo_tests {
    use super::*;

    #[test]
    fn media_urls_are_web_addresses() {
        assert_eq!(check_media_url(" "), Ok(None));
        assert_eq!(
            check_media_url("https://img.example.cn/a.jpg").unwrap().as_deref(),
            Some("https://img.example.cn/a.jpg")
        );
        for bad in ["javascript:alert(1)", "file:///etc/passwd", "https://", "http:///x", "ftp://x/y", "https://a b/c"]
        {
            assert!(check_media_url(bad).is_err(), "{bad}");
        }
        assert!(check_media_url(&format!("https://x.cn/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn photos_are_judged_by_content() {
        assert_eq!(photo_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0]).unwrap(), "image/jpeg");
        assert_eq!(photo_type(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]).unwrap(), "image/png");
        assert_eq!(photo_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ").unwrap(), "image/webp");
        assert!(photo_type(b"GIF89a").is_err());
        assert!(photo_type(b"<svg>").is_err());
        assert!(photo_type(&vec![0xFF; PHOTO_MAX_BYTES + 1]).unwrap_err().reason.contains("5 MB"));
    }
}
