//! Patients: enrolment rows, lookup and the indexed search behind the patient list.

use crate::{Backend, Count, Result, Tx, prefix_end, stored_time};
use careloop_domain::access::PatientScope;
use sea_query::{Condition, Expr, ExprTrait, Order, Query, SelectStatement};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A patient as stored, with its department's code and name.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatientRow {
    pub id: Uuid,
    pub card_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: Date,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub department_id: Uuid,
    /// The current risk tier (风险分层), if one was assessed.
    pub risk_tier: Option<String>,
    /// When the patient died, if known to have (then never enrolled or contacted again).
    pub deceased_at: Option<OffsetDateTime>,
    pub department_code: String,
    pub department_name: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The values written for one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientWrite {
    pub id: Uuid,
    pub card_number: String,
    pub name: String,
    pub name_initials: String,
    pub name_pinyin: String,
    pub sex: String,
    pub birth_date: Date,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub department_id: Uuid,
    pub at: OffsetDateTime,
}

const WRITE_COLUMNS: [&str; 15] = [
    "id",
    "card_number",
    "name",
    "name_initials",
    "name_pinyin",
    "sex",
    "birth_date",
    "id_number",
    "phone",
    "address",
    "emergency_contact_name",
    "emergency_contact_phone",
    "department_id",
    "created_at",
    "updated_at",
];

/// SQLite allows at most 32766 bound parameters per statement; 15 columns × 1000 rows fits.
const CHUNK: usize = 1000;

pub async fn insert_many(tx: &mut Tx, rows: &[PatientWrite]) -> Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut stmt = Query::insert().into_table("patients").columns(WRITE_COLUMNS).to_owned();
        for p in chunk {
            let at = stored_time(p.at);
            stmt.values_panic([
                p.id.into(),
                p.card_number.clone().into(),
                p.name.clone().into(),
                p.name_initials.clone().into(),
                p.name_pinyin.clone().into(),
                p.sex.clone().into(),
                p.birth_date.into(),
                p.id_number.clone().into(),
                p.phone.clone().into(),
                p.address.clone().into(),
                p.emergency_contact_name.clone().into(),
                p.emergency_contact_phone.clone().into(),
                p.department_id.into(),
                at.into(),
                at.into(),
            ]);
        }
        tx.execute(&stmt).await?;
    }
    Ok(())
}

/// Overwrite every editable field of an existing patient (card number and creation stay).
pub async fn update(tx: &mut Tx, p: &PatientWrite) -> Result<u64> {
    let stmt = Query::update()
        .table("patients")
        .value("name", p.name.clone())
        .value("name_initials", p.name_initials.clone())
        .value("name_pinyin", p.name_pinyin.clone())
        .value("sex", p.sex.clone())
        .value("birth_date", p.birth_date)
        .value("id_number", p.id_number.clone())
        .value("phone", p.phone.clone())
        .value("address", p.address.clone())
        .value("emergency_contact_name", p.emergency_contact_name.clone())
        .value("emergency_contact_phone", p.emergency_contact_phone.clone())
        .value("department_id", p.department_id)
        .value("updated_at", stored_time(p.at))
        .and_where(Expr::col("id").eq(p.id))
        .to_owned();
    tx.execute(&stmt).await
}

fn select_rows() -> SelectStatement {
    const P: &str = "patients";
    Query::select()
        .columns(
            [
                "id",
                "card_number",
                "name",
                "sex",
                "birth_date",
                "id_number",
                "phone",
                "address",
                "emergency_contact_name",
                "emergency_contact_phone",
                "department_id",
                "risk_tier",
                "deceased_at",
                "created_at",
                "updated_at",
            ]
            .map(|c| (P, c)),
        )
        .expr_as(Expr::col(("departments", "code")), "department_code")
        .expr_as(Expr::col(("departments", "name")), "department_name")
        .from(P)
        .inner_join(
            "departments",
            Expr::col(("departments", "id")).equals((P, "department_id")),
        )
        .to_owned()
}

/// Many patients by id (those that exist, in no particular order).
pub async fn find_many(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<PatientRow>> {
    let stmt = select_rows()
        .and_where(Expr::col(("patients", "id")).is_in(ids.iter().copied()))
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn find(tx: &mut Tx, id: Uuid) -> Result<Option<PatientRow>> {
    let stmt = select_rows().and_where(Expr::col(("patients", "id")).eq(id)).to_owned();
    tx.fetch_optional(&stmt).await
}

/// The few columns needed to check access and flag observations for many patients at once.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PatientBrief {
    pub id: Uuid,
    pub sex: String,
    pub department_id: Uuid,
}

pub async fn briefs(tx: &mut Tx, ids: &[Uuid]) -> Result<Vec<PatientBrief>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let stmt = Query::select()
            .columns(["id", "sex", "department_id"])
            .from("patients")
            .and_where(Expr::col("id").is_in(chunk.iter().copied()))
            .to_owned();
        out.extend(tx.fetch_all::<PatientBrief, _>(&stmt).await?);
    }
    Ok(out)
}

/// What the search box was given, classified so each kind uses its own index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    /// Digits (and a trailing X): a prefix of the phone, ID number or card number.
    Digits(String),
    /// Latin letters: a prefix of the pinyin initials (`zsf`) or the full pinyin (`zhangs`).
    Pinyin(String),
    /// Anything else: a prefix of the name as written (`张三`).
    Name(String),
}

impl SearchTerm {
    pub fn classify(raw: &str) -> Option<SearchTerm> {
        let q: String = raw.trim().chars().filter(|c| !c.is_whitespace()).collect();
        if q.is_empty() {
            None
        } else if q.chars().all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
            && q.starts_with(|c: char| c.is_ascii_digit())
        {
            Some(SearchTerm::Digits(q.to_ascii_uppercase()))
        } else if q.chars().all(|c| c.is_ascii_alphabetic()) {
            Some(SearchTerm::Pinyin(q.to_ascii_lowercase()))
        } else {
            Some(SearchTerm::Name(q))
        }
    }
}

fn prefix(col: &'static str, q: &str) -> Condition {
    Condition::all()
        .add(Expr::col(("patients", col)).gte(q))
        .add(Expr::col(("patients", col)).lt(prefix_end(q)))
}

/// `q` restricted to the patients in `scope` that match `term`.
fn filtered(
    mut q: SelectStatement,
    backend: Backend,
    scope: PatientScope,
    term: Option<&SearchTerm>,
) -> SelectStatement {
    match scope {
        PatientScope::All => {}
        // With a search term the term's index is far more selective than the department, but
        // SQLite's planner prefers the department index because it also yields the ORDER BY,
        // and then scans the whole department. A unary `+` (SQLite's documented no-op for
        // this purpose) keeps the department test off the index; PostgreSQL plans it well.
        PatientScope::Department(d) if backend == Backend::Sqlite && term.is_some() => {
            q.and_where(Expr::cust_with_values("+\"patients\".\"department_id\" = ?", [d]));
        }
        PatientScope::Department(d) => {
            q.and_where(Expr::col(("patients", "department_id")).eq(d));
        }
        PatientScope::Nobody => {
            q.and_where(Expr::cust("1 = 0"));
        }
    }
    match term {
        None => {}
        Some(SearchTerm::Digits(d)) => {
            q.cond_where(
                Condition::any()
                    .add(prefix("phone", d))
                    .add(prefix("id_number", d))
                    .add(prefix("card_number", d)),
            );
        }
        Some(SearchTerm::Pinyin(p)) => {
            q.cond_where(
                Condition::any()
                    .add(prefix("name_initials", p))
                    .add(prefix("name_pinyin", p)),
            );
        }
        Some(SearchTerm::Name(n)) => {
            q.cond_where(prefix("name", n));
        }
    }
    q
}

/// One page of patients visible in `scope` that match `term`, newest enrolment first.
pub async fn search(
    tx: &mut Tx,
    scope: PatientScope,
    term: Option<&SearchTerm>,
    limit: u64,
    offset: u64,
) -> Result<Vec<PatientRow>> {
    let stmt = filtered(select_rows(), tx.backend(), scope, term)
        .order_by(("patients", "id"), Order::Desc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    tx.fetch_all(&stmt).await
}

pub async fn count(tx: &mut Tx, scope: PatientScope, term: Option<&SearchTerm>) -> Result<i64> {
    // The same filter on the patients table alone: the department join adds nothing to a
    // count (the foreign key guarantees a match) but costs a join over every row.
    let base = Query::select()
        .from("patients")
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .to_owned();
    let stmt = filtered(base, tx.backend(), scope, term);
    Ok(tx.fetch_one::<Count, _>(&stmt).await?.n)
}

/// Record a patient as deceased (the first report stands); false when already recorded.
pub async fn mark_deceased(tx: &mut Tx, id: Uuid, at: OffsetDateTime) -> Result<bool> {
    let stmt = Query::update()
        .table("patients")
        .value("deceased_at", stored_time(at))
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("deceased_at").is_null())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

/// Clear a death recorded in error; false when none was recorded.
pub async fn clear_deceased(tx: &mut Tx, id: Uuid) -> Result<bool> {
    let stmt = Query::update()
        .table("patients")
        .value("deceased_at", Expr::cust("NULL"))
        .and_where(Expr::col("id").eq(id))
        .and_where(Expr::col("deceased_at").is_not_null())
        .to_owned();
    Ok(tx.execute(&stmt).await? == 1)
}

#[cfg(test)]
mod tests {
    use super::SearchTerm;

    #[test]
    fn search_terms_are_classified_by_their_characters() {
        assert_eq!(
            SearchTerm::classify(" 138 1234 "),
            Some(SearchTerm::Digits("1381234".into()))
        );
        assert_eq!(
            SearchTerm::classify("11010519491231002x"),
            Some(SearchTerm::Digits("11010519491231002X".into()))
        );
        assert_eq!(SearchTerm::classify("ZSF"), Some(SearchTerm::Pinyin("zsf".into())));
        assert_eq!(SearchTerm::classify("张三"), Some(SearchTerm::Name("张三".into())));
        assert_eq!(SearchTerm::classify("  "), None);
    }
}
