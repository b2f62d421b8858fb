//! Who may see and change which patients. Admins see every patient; clinical staff see the
//! patients of their own department only (科室数据隔离).

use crate::staff::Role;
use uuid::Uuid;

/// The authenticated staff member on whose behalf a use case runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub username: String,
    pub role: Role,
    pub department_id: Option<Uuid>,
    /// Client address, kept for the audit trail.
    pub ip: Option<String>,
}

/// Which patients a query may return for an actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatientScope {
    All,
    Department(Uuid),
    /// A clinical user with no department sees nobody rather than everybody.
    Nobody,
}

impl Actor {
    pub fn patient_scope(&self) -> PatientScope {
        match (self.role, self.department_id) {
            (Role::Admin, _) => PatientScope::All,
            (_, Some(d)) => PatientScope::Department(d),
            (_, None) => PatientScope::Nobody,
        }
    }

    /// Whether this actor may read or change a patient of `department_id`.
    pub fn may_access_patient(&self, department_id: Uuid) -> bool {
        match self.patient_scope() {
            PatientScope::All => true,
            PatientScope::Department(d) => d == department_id,
            PatientScope::Nobody => false,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether this actor may set a patient's risk tier (风险分层): a clinical judgement made
    /// by doctors and, in check-up centres, health managers; not by nurses or administrators.
    pub fn may_assess_risk(&self) -> bool {
        matches!(self.role, Role::Doctor | Role::HealthManager)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, department_id: Option<Uuid>) -> Actor {
        Actor {
            user_id: Uuid::nil(),
            username: "u".into(),
            role,
            department_id,
            ip: None,
        }
    }

    #[test]
    fn nurses_see_only_their_department_and_admins_see_all() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let nurse = actor(Role::Nurse, Some(a));
        assert!(nurse.may_access_patient(a));
        assert!(!nurse.may_access_patient(b));
        assert!(actor(Role::Admin, None).may_access_patient(b));
        assert!(!actor(Role::Doctor, None).may_access_patient(a));
    }

    #[test]
    fn risk_tiers_are_set_by_doctors_and_health_managers() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| actor(*r, None).may_assess_risk())
            .collect();
        assert_eq!(allowed, [Role::Doctor, Role::HealthManager]);
    }
}
