-- Two more contact result codes (UX.md §5): powered_off (关机/停机) and not_patient (非本人).
-- Keep in step with ../sqlite/0008_contact_results.sql.
ALTER TABLE followup_records DROP CONSTRAINT followup_records_contact_result_check;
ALTER TABLE followup_records ADD CONSTRAINT followup_records_contact_result_check
    CHECK (contact_result IN ('reached', 'no_answer', 'busy', 'powered_off', 'wrong_number', 'not_patient', 'refused', 'deceased'));
