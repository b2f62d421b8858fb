//! Scratch databases for benchmarks and tests: a fresh SQLite file in a temporary directory, or
//! a new database on a PostgreSQL server, dropped afterwards.

use careloop_store::Db;
use uuid::Uuid;

pub async fn admin_sql(url: &str, sql: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}

/// Run `bench` on a scratch database of each backend asked for — SQLite in a temporary
/// directory unless `sqlite` is false, PostgreSQL in a new database on `pg_url` — dropping each
/// afterwards, whether the run succeeded or not. One result per backend, SQLite first.
pub async fn on_scratch_databases<T>(
    sqlite: bool,
    pg_url: Option<&str>,
    connections: u32,
    mut bench: impl AsyncFnMut(&'static str, &Db) -> anyhow::Result<T>,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::new();
    if sqlite {
        let dir = std::env::temp_dir().join(format!("careloop-bench-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let db = Db::connect(&format!("sqlite://{}/bench.db", dir.display()), connections).await?;
        let r = bench("SQLite", &db).await;
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
        out.push(r?);
    }
    if let Some(url) = pg_url {
        let name = format!("careloop_bench_{}", Uuid::new_v4().simple());
        admin_sql(url, &format!("CREATE DATABASE {name}")).await?;
        let db = Db::connect(&with_database(url, &name), connections).await?;
        let r = bench("PostgreSQL", &db).await;
        db.close().await;
        let _ = admin_sql(url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        out.push(r?);
    }
    Ok(out)
}

/// `postgres://u@h:5432/postgres?x=y` with the database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{host}/{name}?{q}"),
        None => format!("{host}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
