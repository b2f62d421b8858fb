-- A patient link may open a questionnaire (the patient's mobile page). Keep in step with ../postgres/0013_questionnaire_links.sql.
ALTER TABLE patient_links ADD COLUMN questionnaire_id TEXT;
