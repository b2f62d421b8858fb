//! Advice articles (健康建议), versioned: an edit adds a version, the newest is current.

use crate::{Json, Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Order, Query};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArticleRow {
    pub id: String,
    pub version: i32,
    pub document: Json<serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<Uuid>,
}

const COLUMNS: [&str; 5] = ["id", "version", "document", "created_at", "created_by"];

/// Every version of every article, newest version of each id first.
pub async fn all(tx: &mut Tx) -> Result<Vec<ArticleRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("advice_articles")
        .order_by("id", Order::Asc)
        .order_by("version", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// The newest version of each article.
pub async fn latest(tx: &mut Tx) -> Result<Vec<ArticleRow>> {
    let mut rows = all(tx).await?;
    rows.dedup_by(|b, a| a.id == b.id);
    Ok(rows)
}

pub async fn versions(tx: &mut Tx, id: &str) -> Result<Vec<ArticleRow>> {
    let stmt = Query::select()
        .columns(COLUMNS)
        .from("advice_articles")
        .and_where(Expr::col("id").eq(id))
        .order_by("version", Order::Desc)
        .to_owned();
    tx.fetch_all(&stmt).await
}

/// Store a new version of `id` (1 for a new article); returns its number.
pub async fn add_version(
    tx: &mut Tx,
    id: &str,
    document: serde_json::Value,
    by: Option<Uuid>,
    at: OffsetDateTime,
) -> Result<i32> {
    let version = versions(tx, id).await?.first().map_or(1, |r| r.version + 1);
    let stmt = Query::insert()
        .into_table("advice_articles")
        .columns(COLUMNS)
        .values_panic([
            id.into(),
            version.into(),
            document.into(),
            stored_time(at).into(),
            by.into(),
        ])
        .to_owned();
    tx.execute(&stmt).await?;
    Ok(version)
}
