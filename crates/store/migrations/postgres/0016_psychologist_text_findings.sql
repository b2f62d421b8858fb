-- Psychological support (心理支持): a psychologist role, which negative emotions found in
-- patients' free-text replies are routed to; and the findings of that analysis on each
-- questionnaire response (JSON text, like the response itself).
-- Keep in step with ../sqlite/0016_psychologist_text_findings.sql.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'doctor', 'nurse', 'health_manager', 'psychologist'));
ALTER TABLE questionnaire_responses ADD COLUMN findings TEXT;
