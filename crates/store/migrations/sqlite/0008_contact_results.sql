-- no-transaction
-- Two more contact result codes (UX.md §5): powered_off (关机/停机) and not_patient (非本人).
-- SQLite cannot alter a CHECK constraint, so the table is rebuilt by the procedure of
-- https://www.sqlite.org/lang_altertable.html#otheralter (foreign keys off outside the
-- transaction, copy, swap, re-create indexes and triggers, check references). sqlx runs this
-- file outside its own transaction for that reason. Keep in step with
-- ../postgres/0008_contact_results.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE followup_records_new (
    id BLOB PRIMARY KEY NOT NULL,
    task_id BLOB NOT NULL REFERENCES tasks (id),
    plan_id BLOB NOT NULL REFERENCES plans (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    contact_result TEXT NOT NULL CHECK (contact_result IN ('reached', 'no_answer', 'busy', 'powered_off', 'wrong_number', 'not_patient', 'refused', 'deceased')),
    classification TEXT CHECK (classification IN ('controlled', 'uncontrolled', 'adverse_reaction', 'complication', 'emergency')),
    adverse_drug_reaction INTEGER NOT NULL,
    new_complication INTEGER NOT NULL,
    referral INTEGER NOT NULL,
    answers TEXT,
    note TEXT,
    signed_by BLOB,
    signed_at TEXT NOT NULL
);
INSERT INTO followup_records_new
    SELECT id, task_id, plan_id, patient_id, contact_result, classification, adverse_drug_reaction,
           new_complication, referral, answers, note, signed_by, signed_at
    FROM followup_records;
DROP TABLE followup_records;
ALTER TABLE followup_records_new RENAME TO followup_records;
CREATE INDEX followup_records_plan ON followup_records (plan_id, id);
CREATE INDEX followup_records_task ON followup_records (task_id);
CREATE TRIGGER followup_records_no_update BEFORE UPDATE ON followup_records
BEGIN
    SELECT RAISE(ABORT, 'signed follow-up records are immutable; add an amendment');
END;
CREATE TRIGGER followup_records_no_delete BEFORE DELETE ON followup_records
BEGIN
    SELECT RAISE(ABORT, 'signed follow-up records are immutable; add an amendment');
END;
COMMIT;
PRAGMA foreign_keys = ON;
