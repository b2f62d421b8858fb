-- Structured risk-model inputs in the health record (read by China-PAR and the diabetes
-- score), and an organisation's location as the default region and residence of its patients.
ALTER TABLE health_records ADD COLUMN region TEXT;
ALTER TABLE health_records ADD COLUMN residence TEXT;
ALTER TABLE health_records ADD COLUMN bp_treated TEXT;
ALTER TABLE health_records ADD COLUMN family_history_ascvd TEXT;
ALTER TABLE health_records ADD COLUMN family_history_diabetes TEXT;
ALTER TABLE organisations ADD COLUMN region TEXT;
ALTER TABLE organisations ADD COLUMN residence TEXT;
