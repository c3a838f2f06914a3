//! The programme's own time: China Standard Time (UTC+8, no daylight
//! saving). Timestamps are stored in UTC; dates — "as of", deadlines by the
//! day, the month of a bulletin — are China's. One place says so.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Utc};

/// UTC+8.
pub fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// The date in China at `t`.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// Today in China.
pub fn today() -> NaiveDate {
    china_date(Utc::now())
}

/// The UTC instant at which `date` begins in China.
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc() - Duration::hours(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_is_eight_hours_ahead() {
        let t = DateTime::parse_from_rfc3339("2026-11-26T16:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(china_date(t), NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let d = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(start_of(d).to_rfc3339(), "2026-11-26T16:00:00+00:00");
        assert_eq!(china_date(start_of(d)), d);
        assert_eq!(china().local_minus_utc(), 8 * 3600);
    }
}
