//! Departments and staff accounts (admin only; the CLI acts as an admin named `cli`).

use crate::admin::auth::hash_password;
use crate::kernel::access::require_admin;
use crate::kernel::audit::{event, record};
use crate::{Result, ServiceError};
use careloop_domain::FieldError;
use careloop_domain::access::Actor;
use careloop_domain::patient::person_name;
use careloop_domain::record::Location;
use careloop_domain::staff::{DepartmentCode, Role, check_password_policy, parse_department_name, parse_username};
use careloop_store::departments::{self, Department};
use careloop_store::organisations::{self, Organisation};
use careloop_store::users::{self, User};
use careloop_store::{Db, Tx};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The organisation used when none is named: the one every installation starts with.
pub const DEFAULT_ORGANISATION: &str = "default";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganisationView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// The default region and residence of its patients' records (China-PAR inputs).
    #[schema(inline)]
    pub location: Location,
    /// The number patients call for appointments and questions, named in reminders.
    pub phone: Option<String>,
}

impl From<Organisation> for OrganisationView {
    fn from(o: Organisation) -> Self {
        OrganisationView {
            id: o.id,
            code: o.code,
            name: o.name,
            location: Location {
                region: o.region,
                residence: o.residence,
            },
            phone: o.phone,
        }
    }
}

/// Add an organisation (a hospital or centre of a medical alliance).
pub async fn create_organisation(
    db: &Db,
    actor: &Actor,
    code: &str,
    name: &str,
    now: OffsetDateTime,
) -> Result<OrganisationView> {
    require_admin(actor)?;
    let code = DepartmentCode::parse(code).map_err(|e| e.at("code"))?;
    let o = Organisation {
        id: Uuid::now_v7(),
        code: code.as_str().into(),
        name: parse_department_name(name)?,
        created_at: now,
        region: None,
        residence: None,
        phone: None,
    };
    let mut tx = db.begin().await?;
    organisations::insert(&mut tx, &o).await?;
    record(
        &mut tx,
        event(actor, "organisation.create", None, Some(o.id.to_string()), now),
    )
    .await?;
    tx.commit().await?;
    Ok(o.into())
}

/// Set where an organisation is. Its patients' tiers and tags are refreshed (queued for the
/// scheduler when there are many), since region and residence are China-PAR inputs.
pub async fn set_organisation_location(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    input: &Location,
    now: OffsetDateTime,
) -> Result<OrganisationView> {
    require_admin(actor)?;
    let l = input.validated()?;
    let row = organisations::LocationRow {
        region: l.region,
        residence: l.residence,
    };
    let mut tx = db.begin().await?;
    if !organisations::set_location(&mut tx, id, &row).await? {
        return Err(ServiceError::NotFound("organisation"));
    }
    let patients = organisations::patients_of(&mut tx, id).await?;
    crate::reactions::facts_changed(&mut tx, actor, &patients, false, now).await?;
    let detail = format!(
        "organisation={id} region={} residence={}",
        row.region.as_deref().unwrap_or("-"),
        row.residence.as_deref().unwrap_or("-")
    );
    record(&mut tx, event(actor, "organisation.location", None, Some(detail), now)).await?;
    let o = organisations::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    tx.commit().await?;
    Ok(o.into())
}

/// Set the number patients call (for appointments and questions), named in reminders; `None`
/// or blank clears it. Digits, spaces and hyphens, 3 to 20 characters (a mobile, a landline
/// with its area code, or a service number such as 12320).
pub async fn set_organisation_phone(
    db: &Db,
    actor: &Actor,
    id: Uuid,
    phone: Option<&str>,
    now: OffsetDateTime,
) -> Result<OrganisationView> {
    require_admin(actor)?;
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    if let Some(p) = phone {
        let digits = p.chars().filter(char::is_ascii_digit).count();
        let allowed = p.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
        if !allowed || !(3..=20).contains(&p.chars().count()) || digits < 3 {
            return Err(FieldError::new(
                "phone",
                "phone_invalid",
                "give digits, spaces and hyphens only (3 to 20 characters)",
                "请填写电话号码（数字，可含区号和连字符，3–20位）",
            )
            .into());
        }
    }
    let mut tx = db.begin().await?;
    if !organisations::set_phone(&mut tx, id, phone).await? {
        return Err(ServiceError::NotFound("organisation"));
    }
    record(
        &mut tx,
        event(
            actor,
            "organisation.phone",
            None,
            Some(format!("organisation={id}")),
            now,
        ),
    )
    .await?;
    let o = organisations::find(&mut tx, id)
        .await?
        .ok_or(ServiceError::NotFound("organisation"))?;
    tx.commit().await?;
    Ok(o.into())
}

pub async fn list_organisations(db: &Db) -> Result<Vec<OrganisationView>> {
    let mut tx = db.begin_read().await?;
    let list = organisations::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list.into_iter().map(Into::into).collect())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// The code of the organisation the department belongs to.
    pub organisation: String,
}

/// Add a department to `organisation` (by code; the default organisation when `None`).
pub async fn create_department(
    db: &Db,
    actor: &Actor,
    code: &str,
    name: &str,
    organisation: Option<&str>,
    now: OffsetDateTime,
) -> Result<DepartmentView> {
    require_admin(actor)?;
    let code = DepartmentCode::parse(code).map_err(|e| e.at("code"))?;
    let name = parse_department_name(name)?;
    let org_code = organisation
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(DEFAULT_ORGANISATION);
    let org_code = DepartmentCode::parse(org_code).map_err(|e| e.at("organisation"))?;
    let mut tx = db.begin().await?;
    let org = organisations::find_by_code(&mut tx, org_code.as_str())
        .await?
        .ok_or_else(|| {
            ServiceError::Invalid(FieldError::new(
                "organisation",
                "organisation_unknown",
                "no organisation has this code",
                "机构不存在",
            ))
        })?;
    let d = Department {
        id: Uuid::now_v7(),
        code: code.as_str().into(),
        name,
        organisation_id: org.id,
        created_at: now,
    };
    departments::insert(&mut tx, &d).await?;
    record(
        &mut tx,
        event(actor, "department.create", None, Some(d.id.to_string()), now),
    )
    .await?;
    tx.commit().await?;
    Ok(DepartmentView {
        id: d.id,
        code: d.code,
        name: d.name,
        organisation: org.code,
    })
}

/// Every staff member may list departments (forms need them).
pub async fn list_departments(db: &Db) -> Result<Vec<DepartmentView>> {
    let mut tx = db.begin_read().await?;
    let list = departments::list(&mut tx).await?;
    let orgs = organisations::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list
        .into_iter()
        .map(|d| DepartmentView {
            organisation: orgs
                .iter()
                .find(|o| o.id == d.organisation_id)
                .map(|o| o.code.clone())
                .unwrap_or_default(),
            id: d.id,
            code: d.code,
            name: d.name,
        })
        .collect())
}

pub(crate) async fn department_by_code(tx: &mut Tx, code: &DepartmentCode) -> Result<Department> {
    departments::find_by_code(tx, code.as_str()).await?.ok_or_else(|| {
        ServiceError::Invalid(FieldError::new(
            "department",
            "department_unknown",
            "no department has this code",
            "科室不存在",
        ))
    })
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    #[schema(pattern = "^[a-z0-9._-]{3,32}$")]
    pub username: String,
    #[schema(min_length = 10)]
    pub password: String,
    pub display_name: Option<String>,
    #[schema(pattern = "^(admin|doctor|nurse|health_manager|psychologist)$")]
    pub role: String,
    /// Department code; required for doctors, nurses and health managers.
    pub department: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub department: Option<String>,
    pub active: bool,
    /// Failed logins since the last successful one.
    pub failed_logins: i32,
}

fn user_view(u: User, departments: &[Department]) -> UserView {
    UserView {
        id: u.id,
        department: u
            .department_id
            .and_then(|id| departments.iter().find(|d| d.id == id).map(|d| d.code.clone())),
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        active: u.active,
        failed_logins: u.failed_logins,
    }
}

async fn resolve_department(tx: &mut Tx, role: Role, code: Option<&str>) -> Result<Option<Uuid>> {
    match code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Ok(Some(department_by_code(tx, &DepartmentCode::parse(c)?).await?.id)),
        None if role == Role::Admin => Ok(None),
        None => Err(FieldError::new(
            "department",
            "required",
            "clinical staff need a department",
            "医护人员必须属于一个科室",
        )
        .into()),
    }
}

pub async fn create_user(db: &Db, actor: &Actor, input: &NewUserInput, now: OffsetDateTime) -> Result<UserView> {
    require_admin(actor)?;
    let username = parse_username(&input.username)?;
    let role = Role::parse(&input.role)?;
    check_password_policy(&input.password, &username)?;
    let display_name = person_name(&input.display_name, "display_name", 50)?.unwrap_or_else(|| username.clone());
    let password_hash = hash_password(&input.password)?;
    let mut tx = db.begin().await?;
    let department_id = resolve_department(&mut tx, role, input.department.as_deref()).await?;
    let user = User {
        id: Uuid::now_v7(),
        username,
        display_name,
        password_hash,
        role: role.as_str().into(),
        department_id,
        active: true,
        failed_logins: 0,
        created_at: now,
    };
    users::insert(&mut tx, &user).await?;
    record(
        &mut tx,
        event(actor, "user.create", None, Some(user.id.to_string()), now),
    )
    .await?;
    let all = departments::list(&mut tx).await?;
    tx.commit().await?;
    Ok(user_view(user, &all))
}

pub async fn list_users(db: &Db, actor: &Actor) -> Result<Vec<UserView>> {
    require_admin(actor)?;
    let mut tx = db.begin_read().await?;
    let all = departments::list(&mut tx).await?;
    let list = users::list(&mut tx).await?;
    tx.commit().await?;
    Ok(list.into_iter().map(|u| user_view(u, &all)).collect())
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<String>,
    #[schema(pattern = "^(admin|doctor|nurse|health_manager|psychologist)$")]
    pub role: Option<String>,
    pub department: Option<String>,
    pub active: Option<bool>,
    /// A new password.
    #[schema(min_length = 10)]
    pub password: Option<String>,
}

pub async fn update_user(db: &Db, actor: &Actor, id: Uuid, patch: &UserPatch, now: OffsetDateTime) -> Result<UserView> {
    require_admin(actor)?;
    let mut tx = db.begin().await?;
    let mut user = users::find(&mut tx, id).await?.ok_or(ServiceError::NotFound("user"))?;
    if let Some(name) = person_name(&patch.display_name, "display_name", 50)? {
        user.display_name = name;
    }
    let role = match &patch.role {
        Some(r) => Role::parse(r)?,
        None => Role::parse(&user.role)?,
    };
    user.role = role.as_str().into();
    if patch.department.is_some() || patch.role.is_some() {
        user.department_id = match &patch.department {
            Some(code) => resolve_department(&mut tx, role, Some(code)).await?,
            None => resolve_department_id(role, user.department_id)?,
        };
    }
    if let Some(active) = patch.active {
        user.active = active;
    }
    users::update_profile(&mut tx, &user).await?;
    if let Some(pw) = &patch.password {
        check_password_policy(pw, &user.username)?;
        users::set_password(&mut tx, id, &hash_password(pw)?).await?;
        user.failed_logins = 0;
    }
    record(&mut tx, event(actor, "user.update", None, Some(id.to_string()), now)).await?;
    let all = departments::list(&mut tx).await?;
    tx.commit().await?;
    Ok(user_view(user, &all))
}

fn resolve_department_id(role: Role, current: Option<Uuid>) -> Result<Option<Uuid>> {
    if role != Role::Admin && current.is_none() {
        return Err(FieldError::new(
            "department",
            "required",
            "clinical staff need a department",
            "医护人员必须属于一个科室",
        )
        .into());
    }
    Ok(current)
}
