//! `gongzhi bench kpi`: builds a province-scale registry (a province's real
//! divisions, five synthetic compounds per urban community, three years of
//! dated changes) in the database given, then times the KPI set of the
//! province, a city and a county as of several dates, the child ranking and
//! the whole bulletin. Prints the figures; asserts nothing.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use db::Db;
use domain::RegionCode;
use domain::audit::Actor;

use crate::import::{Source, import_divisions};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn time<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut v = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t0 = Instant::now();
        f().await?;
        v.push(t0.elapsed());
    }
    Ok(median(v))
}

pub async fn kpi(
    db: &Db,
    divisions: &Path,
    province: &RegionCode,
    city: &RegionCode,
    county: &RegionCode,
) -> anyhow::Result<()> {
    let actor = Actor::system("bench");
    let t0 = Instant::now();
    import_divisions(db, &actor, &Source::Dir(divisions), Some(province), true).await?;
    println!("divisions of {province} imported in {:.1} s", t0.elapsed().as_secs_f64());

    // Four companies per county, most with a party organisation.
    let t0 = Instant::now();
    let tx = db.begin_write().await?;
    let mut companies: HashMap<String, Vec<i64>> = HashMap::new();
    let counties: Vec<String> =
        db::regions::children(db, province).await?.into_iter().map(|c| c.region.code).collect::<Vec<_>>();
    let mut all_counties = Vec::new();
    for c in counties {
        for k in db::regions::children(db, &RegionCode::parse(&c)?).await? {
            all_counties.push((k.region.code, k.region.path));
        }
    }
    for (i, (code, path)) in all_counties.iter().enumerate() {
        let ids = four_companies(&*tx, &actor, code, code, path, i).await?;
        companies.insert(code.clone(), ids);
    }
    tx.commit().await?;
    let stats = crate::demo::registry(
        db,
        province,
        &crate::demo::Options { units: false, companies: Some(companies), per_community: 0 },
    )
    .await?;
    println!(
        "registry: {} compounds in {} urban communities, {} companies, built in {:.1} s",
        stats.compounds,
        stats.communities,
        all_counties.len() * 4,
        t0.elapsed().as_secs_f64()
    );

    let dates = ["2020-06-30", "2021-06-30", "2022-12-31"];
    println!("\nKPI set (median of 5 runs), {}:", db.backend_name());
    for (label, code) in [("province", province), ("city", city), ("county", county)] {
        let path = db::regions::require(db, code).await?.region_path();
        let mut line = format!("  {label:<9} {code:<7}");
        for d in dates {
            let date = d.parse()?;
            let t = time(5, || async { Ok(db::kpi::kpis(db, &path, date).await?) }).await?;
            line.push_str(&format!("  {d}: {:>9}", ms(t)));
        }
        let n = db::kpi::kpis(db, &path, "2022-12-31".parse()?).await?.compounds;
        println!("{line}   ({n} compounds)");
    }
    let date = "2022-12-31".parse()?;
    let t = time(3, || async {
        for c in db::regions::children(db, province).await? {
            db::kpi::kpis(db, &c.region.region_path(), date).await?;
        }
        Ok(())
    })
    .await?;
    println!("  ranking of the province's children: {}", ms(t));
    let month = report::Month::parse("2022-12")?;
    let t = time(3, || async { Ok(report::bulletin(db, Some(province), month).await?) }).await?;
    println!("  whole bulletin of the province (two month ends, all children): {}", ms(t));
    let b = report::bulletin(db, Some(province), month).await?;
    let t = time(3, || async { Ok(report::bulletin_xlsx(&b)?) }).await?;
    println!("  … its XLSX: {}", ms(t));
    Ok(())
}

/// `gongzhi bench intake`: serve gongzhi on a loopback port in this process and
/// report problems through it with `clients` keep-alive connections, `total`
/// reports in all; then time single-row insert transactions on the same
/// database. Prints reports/s, p50/p99 latency and the raw insert rate.
pub async fn intake(db: &Db, total: usize, clients: usize) -> anyhow::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

    let actor = Actor::system("bench");
    import_divisions(db, &actor, &Source::Embedded(crate::demo::DEZHOU), None, true).await?;
    let community = RegionCode::parse("371402001009")?;
    let draft =
        domain::CompoundInput { region: community.to_string(), name: "压测小区".into(), ..Default::default() }
            .parse(2026)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let compound = match db::compounds::create(db, &actor, &draft, None).await {
        Ok(c) => c.id,
        Err(db::DbError::Conflict(_)) => {
            db::compounds::find_in(db.conn(), community.as_str(), "压测小区").await?.map(|c| c.id).unwrap_or(0)
        }
        Err(e) => return Err(e.into()),
    };
    let login = format!("bench{}", std::process::id());
    let grant = domain::access::Grant::new(domain::access::Role::Worker, domain::access::Scope::Region(community))?;
    let uid = db::accounts::create_user(
        db,
        &actor,
        &login,
        "压测",
        &web::auth::hash_password_now("bench-password-1"),
        None,
        &[grant],
    )
    .await?;
    let token = web::auth::new_secret("gz_");
    db::accounts::create_token(db, &actor, uid, "bench", &web::auth::secret_hash(&token)).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = web::router(web::AppState::new(db.clone(), std::env::temp_dir().join("gongzhi-bench-data")));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let body = format!(
        r#"{{"compound_id":{compound},"category":"repair","description":"压测：楼道灯不亮","location":"1号楼"}}"#
    );
    let request = format!(
        "POST /api/v1/problems HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let per_client = total.div_ceil(clients);
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            let (r, mut w) = stream.into_split();
            let mut r = BufReader::new(r);
            let mut lat = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let t = Instant::now();
                w.write_all(request.as_bytes()).await?;
                let mut status = String::new();
                r.read_line(&mut status).await?;
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    r.read_line(&mut line).await?;
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut buf = vec![0u8; len];
                r.read_exact(&mut buf).await?;
                anyhow::ensure!(status.contains(" 201 "), "unexpected answer: {status}");
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let wall = t0.elapsed();
    server.abort();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    let rate = all.len() as f64 / wall.as_secs_f64();
    println!(
        "intake over HTTP ({}): {} reports, {clients} clients: {rate:.0} reports/s, p50 {}, p99 {}",
        db.backend_name(),
        all.len(),
        ms(pct(0.50)),
        ms(pct(0.99))
    );

    // The same database's raw rate of single-row insert transactions: one
    // connection after another, and `clients` at once (PostgreSQL flushes
    // concurrent commits together; SQLite takes one writer at a time). The
    // better of the two is the yardstick.
    db.execute_unprepared("CREATE TABLE IF NOT EXISTS bench_raw (n BIGINT NOT NULL, payload TEXT NOT NULL)").await?;
    let n = total.min(5000);
    let insert = |i: usize| format!("INSERT INTO bench_raw (n, payload) VALUES ({i}, '压测：楼道灯不亮')");
    let t0 = Instant::now();
    for i in 0..n {
        db.execute_unprepared(&insert(i)).await?;
    }
    let sequential = n as f64 / t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            for i in (c..n).step_by(clients) {
                db.execute_unprepared(&insert(i)).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let concurrent = n as f64 / t0.elapsed().as_secs_f64();
    db.execute_unprepared("DROP TABLE bench_raw").await?;
    let raw = sequential.max(concurrent);
    println!(
        "raw single-row insert transactions: {sequential:.0}/s one at a time, {concurrent:.0}/s from {clients} \
         connections; intake is {:.0}% of the better",
        rate * 100.0 / raw
    );
    Ok(())
}

/// `gongzhi bench import`: what a large web import costs everyone else. A
/// registry workbook of `rows` rows (compounds, buildings, people and their
/// posts, in the proportions of a county's workbook) is checked and written
/// the way the upload page does it, in one transaction, while another task
/// makes a small registry change every 20 ms and a reader lists compounds.
/// Prints how long the import held the write lock, its rate, and how long
/// the other writes and reads waited.
pub async fn import(db: &Db, rows: usize) -> anyhow::Result<()> {
    let actor = Actor::system("bench");
    import_divisions(db, &actor, &Source::Embedded(crate::demo::DEZHOU), None, true).await?;
    let communities: Vec<String> = crate::import::read_divisions(
        &Source::Embedded(crate::demo::DEZHOU),
        Some(&RegionCode::parse("371402")?),
        |_, _| {},
    )?
    .rows
    .iter()
    .filter(|d| d.code.level() == domain::Level::Community)
    .map(|d| d.code.to_string())
    .collect();
    // A compound outside the workbook for the concurrent writer to change.
    let draft =
        domain::CompoundInput { region: communities[0].clone(), name: "并发写入".into(), ..Default::default() }
            .parse(2026)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let other = db::compounds::create(db, &actor, &draft, None).await?.id;

    let n = rows.max(10);
    let (mut compounds, mut buildings, mut people, mut posts) = (vec![], vec![], vec![], vec![]);
    for i in 0..n / 10 {
        let comm = &communities[i % communities.len()];
        compounds.push(vec![comm.clone(), format!("压测{i}号小区")]);
        buildings.push(vec![
            comm.clone(),
            format!("压测{i}号小区"),
            "1号楼".into(),
            "2".into(),
            "1".into(),
            "2".into(),
            "80".into(),
        ]);
    }
    for i in 0..n * 4 / 10 {
        let comm = &communities[(i / 4) % communities.len()];
        let phone = format!("13{:09}", 100_000_000 + i);
        people.push(vec![format!("人员{i}"), phone.clone(), comm.clone()]);
        posts.push(vec![
            phone,
            "building_head".into(),
            comm.clone(),
            format!("压测{}号小区", (i / 4) % (n / 10)),
            "1号楼".into(),
            "2024-01-01".into(),
        ]);
    }
    let total = compounds.len() + buildings.len() + people.len() + posts.len();
    let wb = import::Workbook {
        sheets: vec![
            import::RawSheet::new("compounds", &["community_code", "name"], compounds),
            import::RawSheet::new(
                "buildings",
                &["community_code", "compound", "name", "floors", "entrances", "units_per_floor", "unit_area"],
                buildings,
            ),
            import::RawSheet::new("people", &["name", "phone", "region_code"], people),
            import::RawSheet::new(
                "posts",
                &["phone", "role", "region_code", "compound", "building", "start_date"],
                posts,
            ),
        ],
    };

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (db, stop, actor) = (db.clone(), stop.clone(), actor.clone());
        tokio::spawn(async move {
            let mut waits = Vec::new();
            let mut day = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).expect("a date");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                day = day.succ_opt().expect("a date");
                let model = if waits.len() % 2 == 0 { "professional" } else { "self_managed" };
                let t0 = Instant::now();
                db::compounds::set_fact(
                    &db,
                    &actor,
                    other,
                    domain::history::FactKind::ServiceModel,
                    Some(model),
                    None,
                    day,
                )
                .await?;
                waits.push(t0.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(waits)
        })
    };
    let reader = {
        let (db, stop) = (db.clone(), stop.clone());
        tokio::spawn(async move {
            let mut waits = Vec::new();
            let f = db::compounds::Filter {
                within: None,
                visible: db::compounds::Visible { all: true, ..Default::default() },
                name: None,
                include_retired: false,
                ..Default::default()
            };
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let t0 = Instant::now();
                db::compounds::list(&db, &f, domain::Paging::new(None, Some(50))).await?;
                waits.push(t0.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            anyhow::Ok(waits)
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t0 = Instant::now();
    let tx = db.begin_write().await?;
    let locked = Instant::now();
    let report =
        import::load(&*tx, &actor, &wb, &import::Reach::All, |_, _, _| {}).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    let held = locked.elapsed();
    let waited_for_lock = locked - t0;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let writes = writer.await??;
    let reads = reader.await??;
    let worst = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    println!("backend: {}", db.backend_name());
    println!(
        "import of {total} rows ({} changed): write lock held {}, {:.0} rows/s (waited {} for it)",
        report.changed(),
        ms(held),
        total as f64 / held.as_secs_f64(),
        ms(waited_for_lock)
    );
    println!(
        "concurrent registry writes: {} made, median {}, worst {}",
        writes.len(),
        ms(median(writes.clone())),
        ms(worst(&writes))
    );
    println!(
        "concurrent reads: {} made, median {}, worst {}",
        reads.len(),
        ms(median(reads.clone())),
        ms(worst(&reads))
    );
    // What the next figure read (or serve's one-second settle) pays for the import.
    let t = Instant::now();
    let n = db::figures::settle(db).await?;
    println!("figures of {n} entities counted after it in {}", ms(t.elapsed()));
    Ok(())
}

/// `gongzhi bench pages`: signs in as `login` on the database given (the
/// demo's, say) and walks every page it can reach from the home page by
/// links, as that reader, through the real router in process (so the times
/// are the server's, without the network). Each page is asked for `runs`
/// times; prints the median of each, the slowest first, and the spread.
pub async fn pages(
    db: &Db,
    data: &Path,
    login: &str,
    password: &str,
    max_pages: usize,
    runs: usize,
) -> anyhow::Result<()> {
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let router = web::router(web::AppState::new(db.clone(), data.to_path_buf()));
    let cookie = sign_in(&router, login, password).await?;
    let get = |path: String| {
        let router = router.clone();
        let cookie = cookie.clone();
        async move {
            let t0 = Instant::now();
            let res = router.oneshot(Request::get(&path).header(header::COOKIE, cookie).body(Body::empty())?).await?;
            let status = res.status();
            let location = res.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let html = res.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
            let body = to_bytes(res.into_body(), 64 << 20).await?;
            anyhow::Ok((t0.elapsed(), status, location, html.then(|| String::from_utf8_lossy(&body).into_owned())))
        }
    };
    let mut queue = std::collections::VecDeque::from([String::from("/")]);
    let mut seen = std::collections::HashSet::from([String::from("/")]);
    let mut timed: Vec<(Duration, u16, String)> = Vec::new();
    while let Some(path) = queue.pop_front() {
        if timed.len() >= max_pages {
            break;
        }
        let mut times = Vec::new();
        let mut last = None;
        for _ in 0..runs.max(1) {
            let (t, status, location, body) = get(path.clone()).await?;
            times.push(t);
            last = Some((status, location, body));
        }
        let (status, location, body) = last.expect("asked at least once");
        timed.push((median(times), status.as_u16(), path.clone()));
        let mut follow: Vec<String> = location.into_iter().collect();
        if let Some(html) = body {
            follow.extend(
                html.split("href=\"")
                    .skip(1)
                    .filter_map(|s| s.split('"').next())
                    .map(|h| h.replace("&amp;", "&").replace("&#38;", "&")),
            );
        }
        for h in follow {
            // Same-site pages only; language switches and files are not pages.
            let page = h.starts_with('/')
                && !["/lang/", "/static/", "/api/", "/logout"].iter().any(|p| h.starts_with(p))
                && !h.contains(".xlsx")
                && !h.contains(".docx")
                && !h.contains("/photos/");
            if page && seen.insert(h.clone()) {
                queue.push_back(h);
            }
        }
    }
    timed.sort_by_key(|x| std::cmp::Reverse(x.0));
    println!("{} pages as {login}, median of {runs} each, slowest first:", timed.len());
    for (t, status, path) in timed.iter().take(25) {
        println!("  {:>9}  {status}  {path}", ms(*t));
    }
    let all: Vec<Duration> = timed.iter().map(|x| x.0).collect();
    let mut sorted = all.clone();
    sorted.sort();
    let p95 = sorted[(sorted.len() * 95 / 100).min(sorted.len() - 1)];
    let over = timed.iter().filter(|x| x.0 > Duration::from_millis(300)).count();
    println!(
        "median {}, p95 {}, max {}; {over} of {} over 300 ms",
        ms(median(all)),
        ms(p95),
        ms(sorted[sorted.len() - 1]),
        timed.len()
    );
    Ok(())
}

/// Four companies registered in a county for the figures benchmarks, most
/// with a party organisation (credit codes made unique by `seq`).
async fn four_companies(
    tx: &impl db::ConnectionTrait,
    actor: &Actor,
    label: &str,
    code: &str,
    path: &str,
    seq: usize,
) -> anyhow::Result<Vec<i64>> {
    use domain::org::PartyCoverage::*;
    let mut ids = Vec::with_capacity(4);
    for (j, coverage) in [OwnBranch, JointBranch, OwnBranch, InstructorOnly].into_iter().enumerate() {
        let cc = domain::org::CreditCode::complete(&format!("91{code}MB{seq:06}{j}"))?;
        let n = db::structure::NewOrg {
            credit_code: Some(cc.to_string()),
            party_coverage: Some(coverage),
            ..db::structure::NewOrg::new(
                domain::org::OrgKind::Company,
                &format!("{label}第{}物业公司", j + 1),
                code,
                path,
            )
        };
        ids.push(db::structure::upsert_org_in(tx, actor, &n).await?.0);
    }
    Ok(ids)
}

/// p50 and p95 of a sample, as text.
fn p50_p95(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    format!("p50 {:>8}  p95 {:>8}  (n={})", ms(at(0.5)), ms(at(0.95)), v.len())
}

/// Sign in through the router in process; the session cookie (`name=value`).
async fn sign_in(router: &axum::Router, login: &str, password: &str) -> anyhow::Result<String> {
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;
    let form = format!("login={}&password={}", web::links::urlencode(login), web::links::urlencode(password));
    let res = router
        .clone()
        .oneshot(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(form))?,
        )
        .await?;
    Ok(res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or_else(|| anyhow::anyhow!("could not sign in as {login}"))?
        .to_owned())
}

/// A region sampled for timing (`None`: the country) and its path.
type Sampled = (Option<RegionCode>, String);

/// `gongzhi bench national`: build the national synthetic registry from the
/// open division files — every province's divisions, five compounds per urban
/// community with three years of dated facts, four companies per county — in
/// the (empty) database given; count the kept figures; then time, per level
/// from the country to the community, the KPI set of sampled regions on
/// sampled dates and the dashboard page, and the bulletin of the country and
/// of a province. `scale` multiplies the compounds per community (the
/// simulation of docs/scaling.md). Prints the figures; asserts nothing.
pub async fn national(db: &Db, divisions: &Path, data: &Path, samples: usize, scale: usize) -> anyhow::Result<()> {
    let per_community = crate::demo::PER_COMMUNITY * scale;
    use axum::body::{Body, to_bytes};
    use axum::http::{Request, header};
    use tower::ServiceExt;

    let actor = Actor::system("bench");
    let t0 = Instant::now();
    import_divisions(db, &actor, &Source::Dir(divisions), None, true).await?;
    let provinces = db::regions::kids(db, None).await?;
    println!("divisions of {} provinces imported in {:.1} s", provinces.len(), t0.elapsed().as_secs_f64());

    let t0 = Instant::now();
    let mut total = crate::demo::DemoStats::default();
    let mut companies_made = 0;
    for p in &provinces {
        let code = RegionCode::parse(&p.code)?;
        let mut companies: HashMap<String, Vec<i64>> = HashMap::new();
        let tx = db.begin_write().await?;
        for city in db::regions::kids(db, Some(&code)).await? {
            for county in db::regions::kids(db, Some(&RegionCode::parse(&city.code)?)).await? {
                let ids =
                    four_companies(&*tx, &actor, &county.name, &county.code, &county.path, companies_made).await?;
                companies_made += ids.len();
                companies.insert(county.code.clone(), ids);
            }
        }
        tx.commit().await?;
        let stats = crate::demo::registry(
            db,
            &code,
            &crate::demo::Options { units: false, companies: Some(companies), per_community },
        )
        .await?;
        total.compounds += stats.compounds;
        total.communities += stats.communities;
        println!(
            "  {} {}: {} compounds in {} urban communities ({:.0} s so far)",
            p.code,
            p.name,
            stats.compounds,
            stats.communities,
            t0.elapsed().as_secs_f64()
        );
    }
    println!(
        "registry: {} compounds in {} urban communities, {companies_made} companies, built in {:.1} s",
        total.compounds,
        total.communities,
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let n = db::figures::settle(db).await?;
    println!("figures of {n} entities counted in {:.1} s", t0.elapsed().as_secs_f64());

    // Sample regions per level: the country, then, for each level, distinct
    // regions over communities drawn at random among those with compounds.
    let mut rng = crate::demo::Rng::new(2026);
    let mut levels: Vec<(&str, Vec<Sampled>)> = vec![("country", vec![(None, "/".into())])];
    let holding = db::regions::with_compounds(db).await?;
    for (label, len) in [("province", 2), ("city", 4), ("county", 6), ("street", 9), ("community", 12)] {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..samples * 20 {
            if seen.len() >= samples {
                break;
            }
            seen.insert(holding[rng.range(0, holding.len() as i64 - 1) as usize][..len].to_owned());
        }
        let mut pick = Vec::new();
        for code in seen {
            let code = RegionCode::parse(&code)?;
            let path = db::regions::require(db, &code).await?.path;
            pick.push((Some(code), path));
        }
        levels.push((label, pick));
    }
    let dates: Vec<chrono::NaiveDate> = (0..12)
        .map(|i| chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Duration::days(97 * i))
        .collect();

    println!("\nKPI set of one region on one date ({}; {} dates from 2020 to 2023):", db.backend_name(), dates.len());
    for (label, regions) in &levels {
        let mut v = Vec::new();
        let mut sizes = Vec::new();
        for (_, path) in regions {
            let path = domain::RegionPath::from_stored(path.clone());
            for d in &dates {
                let t = Instant::now();
                let set = db::kpi::kpis(db, &path, *d).await?;
                v.push(t.elapsed());
                if d == &dates[dates.len() - 1] {
                    sizes.push(set.compounds);
                }
            }
        }
        sizes.sort();
        println!(
            "  {label:<10} {}   ({} regions of {}–{} compounds)",
            p50_p95(v),
            sizes.len(),
            sizes[0],
            sizes[sizes.len() - 1]
        );
    }

    // The dashboard page, as an administrator over the whole country.
    let login = format!("national{}", std::process::id());
    let password = "bench-password-1";
    let grant = domain::access::Grant::new(domain::access::Role::Admin, domain::access::Scope::All)?;
    db::accounts::create_user(db, &actor, &login, "压测", &web::auth::hash_password_now(password), None, &[grant])
        .await?;
    let router = web::router(web::AppState::new(db.clone(), data.to_path_buf()));
    let cookie = sign_in(&router, &login, password).await?;
    println!("\nDashboard page (cards, trend, ranking of the children, problem rates, supervision) on the server:");
    for (label, regions) in &levels {
        let mut v = Vec::new();
        for (code, _) in regions.iter().take(samples.min(10)) {
            let region = code.as_ref().map_or("all".to_owned(), |c| c.to_string());
            for _ in 0..3 {
                let t = Instant::now();
                let res = router
                    .clone()
                    .oneshot(
                        Request::get(format!("/dashboard?region={region}&as_of=2023-06-30"))
                            .header(header::COOKIE, &cookie)
                            .body(Body::empty())?,
                    )
                    .await?;
                let status = res.status();
                to_bytes(res.into_body(), 64 << 20).await?;
                v.push(t.elapsed());
                anyhow::ensure!(status.is_success(), "dashboard of {region}: {status}");
            }
        }
        println!("  {label:<10} {}", p50_p95(v));
    }

    let month = report::Month::parse("2023-06")?;
    let t = time(3, || async { Ok(report::bulletin(db, None, month).await?) }).await?;
    let b = report::bulletin(db, None, month).await?;
    let x = time(3, || async { Ok(report::bulletin_xlsx(&b)?) }).await?;
    println!(
        "\nbulletin of the whole country ({} provinces, both month ends): {}; its XLSX {}",
        b.sections[0].rows.len(),
        ms(t),
        ms(x)
    );
    let biggest = Some(RegionCode::parse("51")?); // 四川, the most compounds
    let t = time(3, || async { Ok(report::bulletin(db, biggest.as_ref(), month).await?) }).await?;
    println!("bulletin of province {}: {}", biggest.map(|c| c.to_string()).unwrap_or_default(), ms(t));
    Ok(())
}
