//! Patients and their record (建档、健康档案): enrolment, search, the patient's detail and death,
//! the health record and diagnoses, indicator values, family proxies, lab reports, trends and the
//! printable health report.

pub mod consents;
pub mod lab_reports;
pub mod observations;
pub mod page;
pub mod proxies;
pub mod records;
pub mod register;
pub mod report;
pub mod trends;
