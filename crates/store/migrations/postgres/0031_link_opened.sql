-- See ../sqlite/0031_link_opened.sql.
ALTER TABLE patient_links ADD COLUMN opened_at TIMESTAMPTZ;
