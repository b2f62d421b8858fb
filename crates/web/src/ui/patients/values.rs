//! Values, diagnoses and the risk tier entered on the patient page.

use super::*;

#[derive(Deserialize)]
pub struct ObservationForm {
    csrf: String,
    code: String,
    value: String,
    unit: Option<String>,
    effective_at: Option<String>,
}

pub async fn add_observation(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<ObservationForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let now = OffsetDateTime::now_utc();
    let parsed = parse_observation(&f, now);
    let result = match parsed {
        Ok(input) => observations::record_observations(&s.db, &u.who.actor, &[(id, input)], now)
            .await
            .map(|_| ()),
        Err(e) => Err(ServiceError::Invalid(e)),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/patients/{id}#observations")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

fn parse_observation(
    f: &ObservationForm,
    now: OffsetDateTime,
) -> Result<ObservationInput, careloop_domain::FieldError> {
    let value: f64 = f.value.trim().parse().map_err(|_| {
        careloop_domain::FieldError::new("value", "value_invalid", "value must be a number", "数值应为数字")
    })?;
    let effective_at = match f.effective_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => {
            let date = careloop_domain::patient::parse_date(d, "effective_at")?;
            // A date alone means that morning; entered before 08:00 on the day itself, it means
            // now (else a reading taken at 07:30 would count as in the future).
            OffsetDateTime::new_in_offset(date, Time::from_hms(8, 0, 0).unwrap_or(Time::MIDNIGHT), CHINA).min(now)
        }
        None => now,
    };
    Ok(ObservationInput {
        code: f.code.clone(),
        value,
        unit: f.unit.clone().filter(|u| !u.trim().is_empty()),
        effective_at,
        source: Some("manual".into()),
    })
}

#[derive(Deserialize)]
pub struct DiagnosisForm {
    csrf: String,
    icd10_code: String,
    name: String,
    diagnosed_on: Option<String>,
}

pub async fn add_diagnosis(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<DiagnosisForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = DiagnosisInput {
        icd10_code: Some(f.icd10_code),
        name: Some(f.name),
        diagnosed_on: f.diagnosed_on,
        note: None,
    };
    match records::add_diagnosis(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#diagnoses")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[derive(Deserialize)]
pub struct TierForm {
    csrf: String,
    tier: String,
    reason: String,
}

/// A doctor's or health manager's risk tier assessment from the patient page.
pub async fn assess_tier(
    State(s): State<AppState>,
    u: UiUser,
    Path(id): Path<Uuid>,
    Form(f): Form<TierForm>,
) -> Response {
    if let Err(r) = u.check_csrf(&f.csrf) {
        return r;
    }
    let input = AssessmentInput {
        tier: f.tier,
        reason: f.reason,
    };
    match risk_tiers::assess(&s.db, &u.who.actor, id, &input, OffsetDateTime::now_utc()).await {
        Ok(_) => Redirect::to(&format!("/patients/{id}#risk-tier")).into_response(),
        Err(ServiceError::Invalid(e)) => patient_page(&s, &u, id, FormErrors::from_field(e, u.lang)).await,
        Err(e) => u.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn form(date: &str) -> ObservationForm {
        ObservationForm {
            csrf: String::new(),
            code: "sbp".into(),
            value: "150".into(),
            unit: None,
            effective_at: Some(date.into()),
        }
    }

    #[test]
    fn a_date_means_that_morning_but_never_later_than_now() {
        let early = datetime!(2026-11-23 07:30 +08:00);
        let today = parse_observation(&form("2026-11-23"), early).unwrap();
        assert_eq!(today.effective_at, early, "before 08:00 on the day itself: now");
        let past = parse_observation(&form("2026-11-20"), early).unwrap();
        assert_eq!(past.effective_at, datetime!(2026-11-20 08:00 +08:00));
        let later = datetime!(2026-11-23 15:00 +08:00);
        assert_eq!(
            parse_observation(&form("2026-11-23"), later).unwrap().effective_at,
            datetime!(2026-11-23 08:00 +08:00)
        );
    }
}
