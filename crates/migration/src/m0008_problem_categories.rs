//! Problem categories become data: administrators add, rename, re-time and
//! withdraw them. The defaults are installed here, keeping the codes the
//! first release used (problems already stored carry them).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProblemCategory {
    Table,
    Code,
    NameZh,
    NameEn,
    AcceptHours,
    ResolveHours,
    Active,
    Position,
}

/// (code, 中文, English, hours to accept, hours to resolve): utilities are
/// resolved within 24 h, emergencies within 2 h, the rest accepted within
/// 24 h and resolved within 7 days.
const DEFAULTS: [(&str, &str, &str, i64, i64); 10] = [
    ("environment", "环境卫生与垃圾", "Environment and garbage", 24, 168),
    ("roads", "道路设施", "Roads and paths", 24, 168),
    ("parking", "停车管理", "Parking", 24, 168),
    ("greening", "绿化养护", "Greening", 24, 168),
    ("repair", "维修报修", "Repairs", 24, 168),
    ("security", "安全秩序", "Security", 24, 168),
    ("utilities", "水电气暖", "Utilities", 4, 24),
    ("complaint", "物业服务投诉", "Property company conduct", 24, 168),
    ("emergency", "紧急情况", "Emergency", 1, 2),
    ("general", "其他", "Other", 24, 168),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProblemCategory::Table)
                .col(string(ProblemCategory::Code).primary_key())
                .col(string(ProblemCategory::NameZh))
                .col(string(ProblemCategory::NameEn))
                .col(big_integer(ProblemCategory::AcceptHours))
                .col(big_integer(ProblemCategory::ResolveHours))
                .col(boolean(ProblemCategory::Active))
                .col(integer(ProblemCategory::Position))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        for (i, (code, zh, en, a, r)) in DEFAULTS.iter().enumerate() {
            db.execute_unprepared(&format!(
                "INSERT INTO problem_category (code, name_zh, name_en, accept_hours, resolve_hours, active, position) \
                 VALUES ('{code}', '{zh}', '{en}', {a}, {r}, TRUE, {})",
                (i + 1) * 10
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProblemCategory::Table).to_owned()).await
    }
}
