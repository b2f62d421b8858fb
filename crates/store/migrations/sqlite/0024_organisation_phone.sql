-- The number patients call for appointments and questions, named in reminders (复诊提醒).
-- Keep in step with ../postgres/0024_organisation_phone.sql.
ALTER TABLE organisations ADD COLUMN phone TEXT;
