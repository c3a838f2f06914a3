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
        for j in 0..4 {
            let cc = domain::org::CreditCode::complete(&format!("91{code}MB{:06}{j}", i))?;
            let n = db::structure::NewOrg {
                kind: "company".into(),
                name: format!("{code}第{}物业公司", j + 1),
                region_code: code.clone(),
                region_path: path.clone(),
                compound_id: None,
                parent_id: None,
                party_level: None,
                covers_org_id: None,
                credit_code: Some(cc.to_string()),
                party_coverage: Some(["own_branch", "joint_branch", "own_branch", "instructor_only"][j].into()),
                term_start: None,
                term_end: None,
                status: None,
                is_pmc: false,
            };
            let (id, _) = db::structure::upsert_org(&*tx, &actor, &n).await?;
            companies.entry(code.clone()).or_default().push(id);
        }
    }
    tx.commit().await?;
    let stats =
        crate::demo::registry(db, province, &crate::demo::Options { units: false, companies: Some(companies) }).await?;
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
    let t = time(3, || async { Ok(report::bulletin(db, province, month).await?) }).await?;
    println!("  whole bulletin of the province (two month ends, all children): {}", ms(t));
    let b = report::bulletin(db, province, month).await?;
    let t = time(3, || async { Ok(report::bulletin_xlsx(&b)?) }).await?;
    println!("  … its XLSX: {}", ms(t));
    Ok(())
}
