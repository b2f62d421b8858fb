-- When a patient link was first opened, so a message's thread says 已打开 (the link was read)
-- apart from 已填写 (answered). Keep in step with ../postgres/0031_link_opened.sql.
ALTER TABLE patient_links ADD COLUMN opened_at TEXT;
