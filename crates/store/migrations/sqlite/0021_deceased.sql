-- When a patient died, as a visit recorded it or a hospital system reported it: a deceased
-- patient is never enrolled or contacted again.
ALTER TABLE patients ADD COLUMN deceased_at TEXT;
