//! Running it for real (issue 19): a backup taken during a burst of writes
//! restores with every write acknowledged before it and verifies; a database
//! at the previous release's schema upgrades; a newer one is refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::http::Request;
use migration::MigratorTrait;
use serde_json::json;

use crate::support::{App, dezhou, empty_beside, enc, user_token};

db_test! {
    async fn a_backup_during_a_burst_of_writes_restores_and_verifies(db: Db) {
        dezhou(&db).await;
        let admin = App::new(&db).await;
        let r = admin.json("POST", "/api/v1/compounds", json!({"region": "371402001009", "name": "丰华小区"})).await;
        assert_eq!(r.status, 201, "{}", r.body);
        let compound = r.json()["id"].as_i64().unwrap();
        let key = user_token(&db, "hotline", "worker", "371402001009").await;
        let data = std::env::temp_dir().join(format!("gz_backup_{}_{compound}_{}", std::process::id(), db.backend_name()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(data.join("photos")).unwrap();
        std::fs::write(data.join("photos/ab12.jpg"), b"\xFF\xD8\xFFphoto").unwrap();
        let report = {
            let (app, key) = (App::anonymous(&db), key.clone());
            move |n: usize| {
            let (app, body) = (app.clone(), format!(
                "api_key={key}&service_code=repair&address_id={compound}&description={}", enc(&format!("第 {n} 号报事"))));
            async move {
                let r = app.send(Request::post("/open311/v2/requests.json")
                    .header("content-type", "application/x-www-form-urlencoded").body(Body::from(body)).unwrap()).await;
                assert_eq!(r.status, 201, "{}", r.body);
                r.json()[0]["service_request_id"].as_i64().unwrap()
            }
            }
        };
        // Acknowledged before the backup starts: every one must come back.
        let mut before = Vec::new();
        for n in 0..20 {
            before.push(report(n).await);
        }
        // A burst of writers while the backup runs; `done` counts the acknowledged writes.
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(std::sync::atomic::AtomicI64::new(0));
        let mut writers = Vec::new();
        for w in 0..3 {
            let (stop, done, report) = (stop.clone(), done.clone(), report.clone());
            writers.push(tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) && n < 200 {
                    report(1000 * (w + 1) + n).await;
                    done.fetch_add(1, Ordering::SeqCst);
                    n += 1;
                }
                n
            }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let archive = data.with_extension("zip");
        let acknowledged_before = 20 + done.load(Ordering::SeqCst);
        let m = gongzhi::backup::backup(&db, &data, &archive, None).await.unwrap();
        let written_by_end = 20 + done.load(Ordering::SeqCst);
        stop.store(true, Ordering::Relaxed);
        let _ = futures_total(writers).await;
        assert_eq!(m.files, 1);
        // One snapshot: every write acknowledged before it began, none that had not happened by its end.
        let problems = m.counts["problem"];
        assert!((acknowledged_before..=written_by_end).contains(&problems), "{acknowledged_before} ≤ {problems} ≤ {written_by_end}");
        assert!(m.audit_head.is_some());
        let read_back = gongzhi::backup::read_manifest(&archive).unwrap();
        assert_eq!(read_back, m);

        // Restore into an empty database and an empty directory: everything verifies.
        let url = empty_beside(&db).await;
        let restored_data = data.with_extension("restored");
        let r = gongzhi::backup::restore(&archive, &url, &restored_data).await.unwrap();
        assert!(r.ok(), "{r:?}");
        assert_eq!(std::fs::read(restored_data.join("photos/ab12.jpg")).unwrap(), b"\xFF\xD8\xFFphoto");
        let back = db::Db::open(&url).await.unwrap();
        for id in &before {
            let p = db::problems::get(&back, *id).await.unwrap();
            assert_eq!(p.compound_id, compound);
        }
        assert_eq!(db::backup::counts(&back).await.unwrap().into_iter().find(|(t, _)| t == "problem").unwrap().1, problems);
        assert!(matches!(db::audit::verify(&back, &[]).await.unwrap(), db::audit::Verdict::Intact { .. }));
        // The restored database takes new writes (its id sequences continue).
        let c = db::compounds::get(&back, compound).await.unwrap();
        assert_eq!(c.name, "丰华小区");
        let web = App::new(&back).await;
        let r = web.json("POST", "/api/v1/compounds", json!({"region": "371402001009", "name": "世纪华庭"})).await;
        assert_eq!(r.status, 201, "{}", r.body);

        // An archive from a newer gongzhi (a migration this one does not know) is refused.
        let newer = data.with_extension("newer.zip");
        {
            let mut from = zip::ZipArchive::new(std::fs::File::open(&archive).unwrap()).unwrap();
            let mut to = zip::ZipWriter::new(std::fs::File::create(&newer).unwrap());
            for i in 0..from.len() {
                let mut e = from.by_index(i).unwrap();
                let name = e.name().unwrap().into_owned();
                to.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
                if name == "manifest.json" {
                    let mut m = m.clone();
                    m.migrations.push("m9999_future".into());
                    std::io::Write::write_all(&mut to, serde_json::to_string(&m).unwrap().as_bytes()).unwrap();
                } else {
                    std::io::copy(&mut e, &mut to).unwrap();
                }
            }
            to.finish().unwrap();
        }
        let fresh = empty_beside(&db).await;
        let e = gongzhi::backup::restore(&newer, &fresh, &data.with_extension("newer")).await.unwrap_err();
        assert!(e.to_string().contains("newer gongzhi"), "{e}");
        let _ = std::fs::remove_file(&newer);
        // PostgreSQL: a role that may not turn triggers off cannot restore, and the failed
        // restore leaves its database as empty as it was (one transaction).
        if db.backend() == sea_orm::DbBackend::Postgres {
            let admin_url = crate::support::pg_url().unwrap();
            let admin = db::Db::connect(&admin_url).await.unwrap();
            let name = format!("gz_plain_{}", std::process::id());
            let _ = admin.execute_unprepared(&format!("CREATE ROLE {name} LOGIN")).await;
            admin.execute_unprepared(&format!("CREATE DATABASE {name} OWNER {name}")).await.unwrap();
            let plain = crate::support::with_database(&admin_url, &name).replacen("postgres@", &format!("{name}@"), 1);
            let e = gongzhi::backup::restore(&archive, &plain, &data.with_extension("plain")).await.unwrap_err();
            assert!(format!("{e:#}").contains("session_replication_role"), "{e:#}");
            let left = db::Db::connect(&plain).await.unwrap();
            assert!(db::backup::table_names(&left).await.unwrap().is_empty(), "nothing half-restored");
            let _ = left.close().await;
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            let _ = admin.execute_unprepared(&format!("DROP ROLE IF EXISTS {name}")).await;
            let _ = std::fs::remove_dir_all(data.with_extension("plain"));
        }
        // Not into a database or a directory that holds something.
        let again = gongzhi::backup::restore(&archive, &url, &data.with_extension("other")).await;
        assert!(again.is_err());
        let e = gongzhi::backup::restore(&archive, &empty_beside(&db).await, &restored_data).await.unwrap_err();
        assert!(e.to_string().contains("not empty"), "{e}");
        let _ = back.close().await;
        // Scheduled backups keep the newest N.
        let dir = data.with_extension("scheduled");
        for _ in 0..3 {
            gongzhi::backup::scheduled(&db, &data, &dir, 2).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(gongzhi::backup::kept(&dir).len(), 2);
        // The next one is due an interval after the newest (a minute at the soonest).
        let day = std::time::Duration::from_secs(86_400);
        let due = gongzhi::backup::next_due(&dir, day);
        assert!(due > day - std::time::Duration::from_secs(600) && due <= day, "{due:?}");
        assert_eq!(gongzhi::backup::next_due(&data.with_extension("none"), day), std::time::Duration::from_secs(60));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_dir_all(&restored_data);
        let _ = std::fs::remove_file(&archive);
    }

    async fn the_previous_schema_upgrades_and_a_newer_one_is_refused(db: Db) {
        // A database as the previous release left it: its migrations, its rows.
        let url = empty_beside(&db).await;
        let old = db::Db::connect(&url).await.unwrap();
        let previous = migration::Migrator::migrations().len() as u32 - 1;
        migration::Migrator::up(old.conn(), Some(previous)).await.unwrap();
        dezhou(&old).await;
        let now = chrono::Utc::now();
        old.execute_unprepared(&format!(
            "INSERT INTO compound (region_code, community_code, region_path, name, address, year_built, is_old, households, \
             floor_area_centi, unrecorded, created_at, updated_at) SELECT code, code, path, '老小区', '新湖大街1号', 1990, TRUE, \
             120, 800000, NULL, '{t}', '{t}' FROM region WHERE code = '371402001009'",
            t = now.to_rfc3339()
        ))
        .await
        .unwrap();
        let state = db::backup::schema_state(&old).await.unwrap();
        assert_eq!(state.pending, vec!["m0025_places".to_owned()], "what `migrate --check` lists");
        assert!(state.unknown.is_empty());
        let _ = old.close().await;

        // This binary upgrades it; what was there reads back, what is new is not recorded.
        let new = db::Db::open(&url).await.unwrap();
        assert!(db::backup::schema_state(&new).await.unwrap().pending.is_empty());
        let f = db::compounds::Filter { visible: db::compounds::Visible { all: true, ..Default::default() }, ..Default::default() };
        let (rows, _) = db::compounds::list(&new, &f, domain::Paging::new(None, None)).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].name.as_str(), rows[0].households, rows[0].location()), ("老小区", Some(120), None));

        // Upgraded, not new: the public view shows only reports filed from now on.
        new.execute_unprepared("UPDATE seaql_migrations SET applied_at = applied_at - 86400 WHERE version <> 'm0025_places'").await.unwrap();
        let since = db::problems::public_since(&new).await.unwrap().expect("a cut-off on an upgraded database");
        assert!(chrono::Utc::now() - since < chrono::Duration::minutes(5));
        let probe = App::anonymous(&new);
        let r = probe.get("/readyz").await;
        assert_eq!((r.status.as_u16(), r.body.as_str()), (200, "ready"));
        // A newer gongzhi's database: refused before anything runs on it, with what to do.
        new.execute_unprepared("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m9999_future', 0)").await.unwrap();
        let r = probe.get("/readyz").await;
        assert_eq!(r.status, 503, "not ready on a schema it does not know: {}", r.body);
        let _ = new.close().await;
        let e = db::Db::open(&url).await.expect_err("a newer schema is refused");
        assert!(e.to_string().contains("newer gongzhi") && e.to_string().contains("m9999_future"), "{e}");
        drop(db);
    }
}

db_test! {
    async fn metrics_answer_a_scraper_with_the_token_only(db: Db) {
        dezhou(&db).await;
        let off = App::anonymous(&db);
        assert_eq!(off.get("/metrics").await.status, 404, "off without a token");
        let on = App::anonymous_with(&db, |s| s.with_metrics_token("s3cret-token-for-scrapes"));
        assert_eq!(on.get("/healthz").await.status, 200);
        assert_eq!(on.get("/api/v1/regions/3714").await.status, 401);
        let r = on.get("/metrics").await;
        assert_eq!((r.status.as_u16(), r.header("www-authenticate")), (401, "Bearer"));
        assert_eq!(on.get_with("/metrics", "authorization", "Bearer wrong").await.status, 401);
        let r = on.get_with("/metrics", "authorization", "Bearer s3cret-token-for-scrapes").await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.header("content-type").starts_with("text/plain; version=0.0.4"));
        // Routes by their pattern, never the raw path; a histogram per route; the gauges.
        assert!(r.body.contains(r#"gongzhi_http_requests_total{route="/healthz",method="GET",status="200"} 1"#), "{}", r.body);
        assert!(r.body.contains(r#"gongzhi_http_requests_total{route="/api/v1/regions/{code}",method="GET",status="401"} 1"#), "{}", r.body);
        assert!(r.body.contains(r#"gongzhi_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"} 1"#));
        for name in ["gongzhi_db_pool_connections{state=\"idle\"}", "gongzhi_problems{state=\"overdue\"} 0", "gongzhi_problem_reports_total 0", "gongzhi_jobs_running 0"] {
            assert!(r.body.contains(name), "{name}: {}", r.body);
        }
    }
}

async fn futures_total(writers: Vec<tokio::task::JoinHandle<usize>>) -> usize {
    let mut n = 0;
    for w in writers {
        n += w.await.unwrap();
    }
    n
}
