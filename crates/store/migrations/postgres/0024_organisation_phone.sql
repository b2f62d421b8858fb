-- See ../sqlite/0024_organisation_phone.sql.
ALTER TABLE organisations ADD COLUMN phone TEXT;
