use std::io::Write;
use std::path::{Path, PathBuf};

use db::Db;
use db::regions::ImportStats;
use domain::RegionCode;
use gongzhi::import::{Source, import_divisions};

/// A small country in the open format: two provinces, two cities of 37.
pub fn write_fixture(dir: &Path, villages_extra: &str) {
    let files = [
        ("provinces.csv", "code,name\n37,\"山东省\"\n11,\"北京市\"\n".to_string()),
        ("cities.csv", "code,name,provinceCode\n3714,\"德州市\",37\n3715,\"聊城市\",37\n".to_string()),
        ("areas.csv", "code,name,cityCode,provinceCode\n371402,\"德城区\",3714,37\n371502,\"东昌府区\",3715,37\n".to_string()),
        (
            "streets.csv",
            "code,name,areaCode,provinceCode,cityCode\n371402001,\"新湖街道\",371402,37,3714\n371502001,\"古楼街道\",371502,37,3715\n"
                .to_string(),
        ),
        (
            "villages.csv",
            format!(
                "code,name,streetCode,provinceCode,cityCode,areaCode\n\
                 371402001001,\"尉署社区居委会\",371402001,37,3714,371402\n\
                 371402001002,\"新湖社区居委会\",371402001,37,3714,371402\n\
                 371502001001,\"古楼社区居委会\",371502001,37,3715,371502\n{villages_extra}"
            ),
        ),
    ];
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in files {
        // One file gzipped, to show both forms are read.
        if name == "streets.csv" {
            let f = std::fs::File::create(dir.join("streets.csv.gz")).unwrap();
            let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
            gz.write_all(text.as_bytes()).unwrap();
            gz.finish().unwrap();
        } else {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
}

fn tempdir(tag: &str) -> PathBuf {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("gongzhi_fixture_{tag}_{}_{n}", std::process::id()))
}

async fn import(db: &Db, dir: &Path, only: Option<&str>) -> anyhow::Result<ImportStats> {
    let only = only.map(|o| RegionCode::parse(o).unwrap());
    import_divisions(db, &crate::support::system(), &Source::Dir(dir), only.as_ref(), true).await
}

async fn count(db: &Db) -> i64 {
    db::regions::count(db).await.unwrap().iter().map(|(_, n)| n).sum()
}

db_test! {
    async fn imports_then_reimports_idempotently(db: Db) {
        let dir = tempdir("idem");
        write_fixture(&dir, "");
        let s = import(&db, &dir, None).await.unwrap();
        assert_eq!(s, ImportStats { added: 11, renamed: 0, unchanged: 0 });
        let levels = db::regions::count(&db).await.unwrap();
        assert_eq!(levels, vec![
            ("province".into(), 2), ("city".into(), 2), ("county".into(), 2), ("street".into(), 2), ("community".into(), 3)
        ]);
        let s = import(&db, &dir, None).await.unwrap();
        assert_eq!(s, ImportStats { added: 0, renamed: 0, unchanged: 11 });
        assert_eq!(count(&db).await, 11);

        // A renamed community and a new one: renamed and added, nothing duplicated.
        let villages = std::fs::read_to_string(dir.join("villages.csv")).unwrap()
            .replace("新湖社区居委会", "新湖社区")
            + "371402001003,\"湖滨社区居委会\",371402001,37,3714,371402\n";
        std::fs::write(dir.join("villages.csv"), villages).unwrap();
        let s = import(&db, &dir, None).await.unwrap();
        assert_eq!(s, ImportStats { added: 1, renamed: 1, unchanged: 10 });
        let r = db::regions::get(&db, &RegionCode::parse("371402001002").unwrap()).await.unwrap().unwrap();
        assert_eq!(r.name, "新湖社区");
        assert_eq!(r.path, "/37/3714/371402/371402001/371402001002/");
        assert_eq!(count(&db).await, 12);
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn a_bad_line_is_named_and_nothing_is_written(db: Db) {
        let dir = tempdir("bad");
        write_fixture(&dir, "37140200100X,\"坏行\",371402001,37,3714,371402\n371402002001,\"错位\",371402001,37,3714,371402\n");
        let err = import(&db, &dir, None).await.unwrap_err().to_string();
        // Header is line 1, three good rows, then the bad ones on lines 5 and 6.
        assert!(err.contains("villages.csv:5: region code \"37140200100X\" must contain only digits"), "{err}");
        assert!(err.contains("villages.csv:6: code 371402002001 does not lie under its parent code 371402001"), "{err}");
        assert!(err.contains("nothing was imported"), "{err}");
        assert_eq!(count(&db).await, 0, "an import with errors must write nothing");
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn an_orphan_row_is_named_by_file_and_line(db: Db) {
        let dir = tempdir("orphan");
        write_fixture(&dir, "");
        // Remove 古楼街道 from the streets: its community has no parent anywhere.
        std::fs::remove_file(dir.join("streets.csv.gz")).unwrap();
        std::fs::write(dir.join("streets.csv"), "code,name,areaCode,provinceCode,cityCode\n371402001,\"新湖街道\",371402,37,3714\n").unwrap();
        let err = import(&db, &dir, None).await.unwrap_err().to_string();
        assert!(err.contains("villages.csv:4: parent 371502001 of 371502001001 is in neither the files nor the database"), "{err}");
        assert_eq!(count(&db).await, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn only_imports_a_subtree_and_its_ancestors(db: Db) {
        let dir = tempdir("only");
        write_fixture(&dir, "");
        let s = import(&db, &dir, Some("3714")).await.unwrap();
        assert_eq!(s.added, 6, "37, 3714, 371402, 371402001 and two communities");
        assert!(db::regions::get(&db, &RegionCode::parse("3715").unwrap()).await.unwrap().is_none());
        assert!(db::regions::get(&db, &RegionCode::parse("11").unwrap()).await.unwrap().is_none());
        // Then the rest: the stored ancestors are reused, not duplicated.
        let s = import(&db, &dir, Some("3715")).await.unwrap();
        assert_eq!(s, ImportStats { added: 4, renamed: 0, unchanged: 1 });
        let _ = std::fs::remove_dir_all(&dir);
    }

    async fn a_missing_file_or_column_is_reported(db: Db) {
        let dir = tempdir("missing");
        write_fixture(&dir, "");
        std::fs::remove_file(dir.join("cities.csv")).unwrap();
        std::fs::write(dir.join("areas.csv"), "code,title\n371402,x\n").unwrap();
        let err = import(&db, &dir, None).await.unwrap_err().to_string();
        assert!(err.contains("no cities.csv or cities.csv.gz"), "{err}");
        assert!(err.contains("areas.csv:1: header has no `name` column"), "{err}");
        assert_eq!(count(&db).await, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_shipped_demo_subset_is_dezhou_only() {
    let read = gongzhi::import::read_divisions(&Source::Embedded(gongzhi::demo::DEZHOU), None, |_, _| {}).unwrap();
    assert_eq!(read.rows.len(), 1 + 1 + 12 + 135 + 5307);
    assert!(read.rows.iter().all(|d| d.code.as_str() == "37" || d.code.as_str().starts_with("3714")));
}
