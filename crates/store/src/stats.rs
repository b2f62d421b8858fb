//! Aggregate counts behind the follow-up figures. Each query counts in the database (one scan
//! per figure) and can be restricted to one department's patients.

use crate::{Backend, Count, Result, Tx, stored_time};
use sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use time::OffsetDateTime;
use uuid::Uuid;

/// Numerator and denominator of a figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Pair {
    pub num: i64,
    pub den: i64,
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)`, zero over no rows, the same on both backends.
fn count_if(cond: &str) -> Expr {
    Expr::cust(format!("COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0)"))
}

/// Restrict `stmt` (which has `patient_col` in scope) to one department's patients.
fn in_department(stmt: &mut SelectStatement, patient_col: (&'static str, &'static str), department: Option<Uuid>) {
    if let Some(d) = department {
        let of_department = Query::select()
            .column("id")
            .from("patients")
            .and_where(Expr::col("department_id").eq(d))
            .to_owned();
        stmt.and_where(Expr::col(patient_col).in_subquery(of_department));
    }
}

/// Patients with a diagnosis starting with one of `prefixes` (den), and how many of them
/// have a follow-up plan created before `to` (num): 随访覆盖率.
pub async fn coverage(tx: &mut Tx, prefixes: &[&str], to: OffsetDateTime, department: Option<Uuid>) -> Result<Pair> {
    let mut any = sea_query::Condition::any();
    for p in prefixes {
        any = any.add(Expr::col(("diagnoses", "icd10_code")).like(format!("{p}%")));
    }
    let mut eligible = Query::select()
        .column(("diagnoses", "patient_id"))
        .distinct()
        .from("diagnoses")
        .cond_where(any)
        .to_owned();
    in_department(&mut eligible, ("diagnoses", "patient_id"), department);
    let planned = Query::select()
        .column("patient_id")
        .from("plans")
        .and_where(Expr::col("created_at").lt(stored_time(to)))
        .to_owned();
    let den = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(eligible.clone(), "e")
        .to_owned();
    let num = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(eligible, "e")
        .and_where(Expr::col(("e", "patient_id")).in_subquery(planned))
        .to_owned();
    Ok(Pair {
        num: tx.fetch_one::<Count, _>(&num).await?.n,
        den: tx.fetch_one::<Count, _>(&den).await?.n,
    })
}

/// Tasks whose deadline fell in `[from, to)` (not cancelled): how many, how many done, and
/// how many done by their deadline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TaskCounts {
    pub total: i64,
    pub done: i64,
    pub on_time: i64,
}

pub async fn tasks_due(
    tx: &mut Tx,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<TaskCounts> {
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "total")
        .expr_as(count_if("state = 'done'"), "done")
        .expr_as(count_if("state = 'done' AND updated_at <= deadline"), "on_time")
        .from("tasks")
        .and_where(Expr::col("deadline").gte(stored_time(from)))
        .and_where(Expr::col("deadline").lt(stored_time(to)))
        .and_where(Expr::col("state").ne("cancelled"))
        .to_owned();
    in_department(&mut stmt, ("tasks", "patient_id"), department);
    tx.fetch_one(&stmt).await
}

/// Contact attempts recorded in `[from, to)` (den) and how many reached the patient (num).
pub async fn contacts(tx: &mut Tx, from: OffsetDateTime, to: OffsetDateTime, department: Option<Uuid>) -> Result<Pair> {
    let mut stmt = Query::select()
        .expr_as(count_if("contact_result = 'reached'"), "num")
        .expr_as(Expr::cust("COUNT(*)"), "den")
        .from("followup_records")
        .and_where(Expr::col("signed_at").gte(stored_time(from)))
        .and_where(Expr::col("signed_at").lt(stored_time(to)))
        .to_owned();
    in_department(&mut stmt, ("followup_records", "patient_id"), department);
    tx.fetch_one(&stmt).await
}

/// Plans running at some time in `[from, to)` (den) and those stopped as lost to follow-up
/// in it (num): 失访率.
pub async fn lost(tx: &mut Tx, from: OffsetDateTime, to: OffsetDateTime, department: Option<Uuid>) -> Result<Pair> {
    let (from, to) = (stored_time(from), stored_time(to));
    let running = sea_query::Condition::any()
        .add(Expr::col("status").is_in(["active", "paused"]))
        .add(Expr::col("status_changed_at").gte(from));
    let mut den = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("plans")
        .and_where(Expr::col("created_at").lt(to))
        .cond_where(running)
        .to_owned();
    in_department(&mut den, ("plans", "patient_id"), department);
    // Lost plans were running in the period by definition, so the rate never exceeds 100%.
    let mut num = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from("plans")
        .and_where(Expr::col("created_at").lt(to))
        .and_where(Expr::col("status_reason").eq("lost_to_follow_up"))
        .and_where(Expr::col("status_changed_at").gte(from))
        .and_where(Expr::col("status_changed_at").lt(to))
        .to_owned();
    in_department(&mut num, ("plans", "patient_id"), department);
    Ok(Pair {
        num: tx.fetch_one::<Count, _>(&num).await?.n,
        den: tx.fetch_one::<Count, _>(&den).await?.n,
    })
}

/// Patients with a plan of `protocol` created before `to`: 年内已管理的人数.
pub async fn managed(tx: &mut Tx, protocol: &str, to: OffsetDateTime, department: Option<Uuid>) -> Result<i64> {
    let mut patients = Query::select()
        .column("patient_id")
        .distinct()
        .from("plans")
        .and_where(Expr::col("protocol_id").eq(protocol))
        .and_where(Expr::col("created_at").lt(stored_time(to)))
        .to_owned();
    in_department(&mut patients, ("plans", "patient_id"), department);
    let stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(patients, "m")
        .to_owned();
    Ok(tx.fetch_one::<Count, _>(&stmt).await?.n)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VisitRow {
    pub patient_id: Uuid,
    pub contact_result: String,
    pub classification: Option<String>,
    pub signed_at: OffsetDateTime,
}

/// Every follow-up record on plans of `protocol` signed in `[from, to)`.
pub async fn visits(
    tx: &mut Tx,
    protocol: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<Vec<VisitRow>> {
    let of_protocol = Query::select()
        .column("id")
        .from("plans")
        .and_where(Expr::col("protocol_id").eq(protocol))
        .to_owned();
    let mut stmt = Query::select()
        .columns(["patient_id", "contact_result", "classification", "signed_at"])
        .from("followup_records")
        .and_where(Expr::col("plan_id").in_subquery(of_protocol))
        .and_where(Expr::col("signed_at").gte(stored_time(from)))
        .and_where(Expr::col("signed_at").lt(stored_time(to)))
        .to_owned();
    in_department(&mut stmt, ("followup_records", "patient_id"), department);
    tx.fetch_all(&stmt).await
}

/// What a breakdown of the figures groups by (按科室 / 方案 / 人员 / 月份).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Department,
    Protocol,
    /// The task's assignee, or the record's signer.
    Staff,
    /// Calendar month in China time.
    Month,
}

/// One group's counts: its key (department code, protocol id, username, `YYYY-MM`; `None`
/// for unassigned work) and a label to show (department or staff name).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupCounts {
    pub key: Option<String>,
    pub label: Option<String>,
    pub total: i64,
    pub num: i64,
    pub extra: i64,
}

/// `YYYY-MM` of a stored instant in China time (UTC+8, no daylight saving since 1991).
fn month_of(backend: Backend, col: &str) -> String {
    match backend {
        Backend::Sqlite => format!("strftime('%Y-%m', {col}, '+8 hours')"),
        Backend::Postgres => format!("to_char({col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"),
    }
}

/// Joins `stmt` (over `table`, whose patient, plan and staff columns are given) to what
/// `dim` and the department filter need, and selects the group key and label.
struct Grouping {
    table: &'static str,
    patient: &'static str,
    plan: Option<&'static str>,
    staff: Option<&'static str>,
    at: &'static str,
}

impl Grouping {
    fn apply(&self, stmt: &mut SelectStatement, backend: Backend, dim: Dimension, department: Option<Uuid>) {
        let t = self.table;
        if dim == Dimension::Department || department.is_some() {
            stmt.inner_join("patients", Expr::col(("patients", "id")).equals((t, self.patient)));
        }
        if let Some(d) = department {
            stmt.and_where(Expr::col(("patients", "department_id")).eq(d));
        }
        let (key, label) = match dim {
            Dimension::Department => {
                stmt.inner_join(
                    "departments",
                    Expr::col(("departments", "id")).equals(("patients", "department_id")),
                );
                ("departments.code".to_string(), "departments.name".to_string())
            }
            Dimension::Protocol => match self.plan {
                Some(plan) if t != "plans" => {
                    stmt.inner_join("plans", Expr::col(("plans", "id")).equals((t, plan)));
                    ("plans.protocol_id".into(), "plans.protocol_id".into())
                }
                _ => ("plans.protocol_id".into(), "plans.protocol_id".into()),
            },
            Dimension::Staff => match self.staff {
                Some(s) => {
                    stmt.left_join("users", Expr::col(("users", "id")).equals((t, s)));
                    ("users.username".into(), "users.display_name".into())
                }
                None => ("CAST(NULL AS TEXT)".into(), "CAST(NULL AS TEXT)".into()),
            },
            Dimension::Month => {
                let m = month_of(backend, &format!("{t}.{}", self.at));
                (m.clone(), m)
            }
        };
        stmt.expr_as(Expr::cust(key.clone()), "key")
            .expr_as(Expr::cust(label.clone()), "label")
            .add_group_by([Expr::cust(key.clone()), Expr::cust(label)])
            .order_by_expr(Expr::cust(key), Order::Asc);
    }
}

/// [`tasks_due`] per group: `total`, `num` = done, `extra` = done by the deadline.
pub async fn tasks_due_by(
    tx: &mut Tx,
    dim: Dimension,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<Vec<GroupCounts>> {
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "total")
        .expr_as(count_if("tasks.state = 'done'"), "num")
        .expr_as(
            count_if("tasks.state = 'done' AND tasks.updated_at <= tasks.deadline"),
            "extra",
        )
        .from("tasks")
        .and_where(Expr::col(("tasks", "deadline")).gte(stored_time(from)))
        .and_where(Expr::col(("tasks", "deadline")).lt(stored_time(to)))
        .and_where(Expr::col(("tasks", "state")).ne("cancelled"))
        .to_owned();
    let g = Grouping {
        table: "tasks",
        patient: "patient_id",
        plan: Some("plan_id"),
        staff: Some("assignee_id"),
        at: "deadline",
    };
    g.apply(&mut stmt, tx.backend(), dim, department);
    tx.fetch_all(&stmt).await
}

/// [`contacts`] per group: `total` attempts, `num` reached (`extra` unused).
pub async fn contacts_by(
    tx: &mut Tx,
    dim: Dimension,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<Vec<GroupCounts>> {
    let r = "followup_records";
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "total")
        .expr_as(count_if("followup_records.contact_result = 'reached'"), "num")
        .expr_as(Expr::cust("CAST(0 AS BIGINT)"), "extra")
        .from(r)
        .and_where(Expr::col((r, "signed_at")).gte(stored_time(from)))
        .and_where(Expr::col((r, "signed_at")).lt(stored_time(to)))
        .to_owned();
    let g = Grouping {
        table: r,
        patient: "patient_id",
        plan: Some("plan_id"),
        staff: Some("signed_by"),
        at: "signed_at",
    };
    g.apply(&mut stmt, tx.backend(), dim, department);
    tx.fetch_all(&stmt).await
}

/// [`lost`] per department or protocol: `total` plans running in the period, `num` stopped as
/// lost to follow-up in it. Plans belong to no one member of staff, and a month needs its own
/// period, so those two dimensions are answered by calling [`lost`] per month instead.
pub async fn lost_by(
    tx: &mut Tx,
    dim: Dimension,
    from: OffsetDateTime,
    to: OffsetDateTime,
    department: Option<Uuid>,
) -> Result<Vec<GroupCounts>> {
    let (from, to) = (stored_time(from), stored_time(to));
    let running = sea_query::Condition::any()
        .add(Expr::col(("plans", "status")).is_in(["active", "paused"]))
        .add(Expr::col(("plans", "status_changed_at")).gte(from));
    let lost = Expr::col(("plans", "status_reason"))
        .eq("lost_to_follow_up")
        .and(Expr::col(("plans", "status_changed_at")).lt(to));
    let mut stmt = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), "total")
        .expr_as(
            Func::coalesce([Expr::from(Func::sum(Expr::case(lost, 1).finally(0))), Expr::val(0)]),
            "num",
        )
        .expr_as(Expr::cust("CAST(0 AS BIGINT)"), "extra")
        .from("plans")
        .and_where(Expr::col(("plans", "created_at")).lt(to))
        .cond_where(running)
        .to_owned();
    let g = Grouping {
        table: "plans",
        patient: "patient_id",
        plan: None,
        staff: None,
        at: "created_at",
    };
    g.apply(&mut stmt, tx.backend(), dim, department);
    tx.fetch_all(&stmt).await
}
