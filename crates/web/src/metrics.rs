//! `/metrics` in Prometheus' text format (docs/deploy.md): requests by route
//! and status, their latency, the database pool, residents' reports, open and
//! overdue problems, background jobs, the last scheduled backup. Off unless
//! the server is given a token; then a scraper sends `Authorization: Bearer TOKEN`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Default, Clone)]
struct Histogram {
    /// Per bucket (not cumulative; summed when written).
    counts: [u64; BUCKETS.len()],
    over: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    /// The scrape token's SHA-256: compared by hash, so the comparison takes the same time whatever it is.
    token_hash: Option<[u8; 32]>,
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
    /// Residents' reports written since start.
    pub reports: AtomicU64,
}

impl Metrics {
    pub fn with_token(token: &str) -> Metrics {
        Metrics { token_hash: Some(Sha256::digest(token.as_bytes()).into()), ..Default::default() }
    }

    fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            let h = l.entry(route.to_owned()).or_default();
            match BUCKETS.iter().position(|b| seconds <= *b) {
                Some(i) => h.counts[i] += 1,
                None => h.over += 1,
            }
            h.sum += seconds;
        }
    }

    fn allows(&self, headers: &HeaderMap) -> Option<bool> {
        let want = self.token_hash?;
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let got: [u8; 32] = Sha256::digest(given.trim().as_bytes()).into();
        Some(got.iter().zip(want.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0)
    }
}

/// Count every routed request by its route's pattern (never the raw path: ids would make
/// a series per record).
pub async fn track(State(s): State<AppState>, req: Request, next: Next) -> Response {
    // Off (no token): nothing kept, nothing spent on every request.
    if s.metrics.token_hash.is_none() {
        return next.run(req).await;
    }
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "other".into());
    let method = req.method().as_str().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    s.metrics.record(&route, &method, res.status().as_u16(), start.elapsed().as_secs_f64());
    res
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

pub async fn serve(State(s): State<AppState>, headers: HeaderMap) -> Response {
    match s.metrics.allows(&headers) {
        None => return (StatusCode::NOT_FOUND, "metrics are off (serve --metrics-token-file)").into_response(),
        Some(false) => {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "a token is needed")
                .into_response();
        }
        Some(true) => {}
    }
    let mut o = String::new();
    let _ = writeln!(o, "# HELP gongzhi_build_info The running gongzhi.\n# TYPE gongzhi_build_info gauge");
    let _ = writeln!(o, "gongzhi_build_info{{version=\"{}\"}} 1", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(o, "# HELP gongzhi_http_requests_total Requests answered, by route, method and status.");
    let _ = writeln!(o, "# TYPE gongzhi_http_requests_total counter");
    if let Ok(r) = s.metrics.requests.lock() {
        for ((route, method, status), n) in r.iter() {
            let _ = writeln!(
                o,
                "gongzhi_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
    }
    let _ = writeln!(o, "# HELP gongzhi_http_request_duration_seconds Time to answer, by route.");
    let _ = writeln!(o, "# TYPE gongzhi_http_request_duration_seconds histogram");
    let latency = s.metrics.latency.lock().map(|l| l.clone()).unwrap_or_default();
    for (route, h) in &latency {
        let route = label(route);
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(h.counts.iter()) {
            cumulative += n;
            let _ = writeln!(
                o,
                "gongzhi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {cumulative}"
            );
        }
        let count = cumulative + h.over;
        let _ = writeln!(o, "gongzhi_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}");
        let _ = writeln!(o, "gongzhi_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
        let _ = writeln!(o, "gongzhi_http_request_duration_seconds_count{{route=\"{route}\"}} {count}");
    }
    let (size, idle) = s.db.pool_stats();
    let _ = writeln!(o, "# HELP gongzhi_db_pool_connections Database connections held, by state.");
    let _ = writeln!(o, "# TYPE gongzhi_db_pool_connections gauge");
    let _ = writeln!(o, "gongzhi_db_pool_connections{{state=\"idle\"}} {idle}");
    let _ = writeln!(o, "gongzhi_db_pool_connections{{state=\"in_use\"}} {}", (size as usize).saturating_sub(idle));
    let _ = writeln!(o, "# HELP gongzhi_problem_reports_total Residents' reports written since start.");
    let _ = writeln!(o, "# TYPE gongzhi_problem_reports_total counter");
    let _ = writeln!(o, "gongzhi_problem_reports_total {}", s.metrics.reports.load(Ordering::Relaxed));
    if let Ok((open, overdue)) = db::problems::open_and_overdue(&s.db).await {
        let _ = writeln!(o, "# HELP gongzhi_problems Problems now, open and of them overdue.");
        let _ = writeln!(o, "# TYPE gongzhi_problems gauge");
        let _ = writeln!(o, "gongzhi_problems{{state=\"open\"}} {open}");
        let _ = writeln!(o, "gongzhi_problems{{state=\"overdue\"}} {overdue}");
    }
    let _ = writeln!(o, "# HELP gongzhi_jobs_running Background jobs (imports) running.");
    let _ = writeln!(o, "# TYPE gongzhi_jobs_running gauge");
    let _ = writeln!(o, "gongzhi_jobs_running {}", s.jobs.running());
    if let Some(b) = s.status.last_backup() {
        let _ = writeln!(o, "# HELP gongzhi_backup_last_timestamp_seconds When the last scheduled backup ran.");
        let _ = writeln!(o, "# TYPE gongzhi_backup_last_timestamp_seconds gauge");
        let _ = writeln!(o, "gongzhi_backup_last_timestamp_seconds {}", b.at.timestamp());
        let _ = writeln!(o, "# HELP gongzhi_backup_last_ok Whether the last scheduled backup succeeded.");
        let _ = writeln!(o, "# TYPE gongzhi_backup_last_ok gauge");
        let _ = writeln!(o, "gongzhi_backup_last_ok {}", u8::from(b.outcome.is_ok()));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], o).into_response()
}
