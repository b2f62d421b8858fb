-- A family proxy may receive the questionnaire links of the patient's follow-up plan (家属代收
-- 随访问卷), e.g. for an elderly patient without a smartphone. Keep in step with
-- ../sqlite/0017_proxy_receives_links.sql.
ALTER TABLE patient_proxies ADD COLUMN receives_links BOOLEAN NOT NULL DEFAULT FALSE;
