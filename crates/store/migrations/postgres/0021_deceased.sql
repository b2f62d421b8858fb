-- See ../sqlite/0021_deceased.sql.
ALTER TABLE patients ADD COLUMN deceased_at TIMESTAMPTZ;
