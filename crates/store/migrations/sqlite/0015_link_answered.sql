-- When a patient link was answered, for response-rate figures. Keep in step with
-- ../postgres/0015_link_answered.sql.
ALTER TABLE patient_links ADD COLUMN answered_at TEXT;
CREATE INDEX patient_links_created ON patient_links (purpose, created_at);
