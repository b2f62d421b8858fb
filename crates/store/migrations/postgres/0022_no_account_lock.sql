-- Accounts are no longer locked after failed logins (guessing is throttled per address and
-- account instead), so the lock's end time goes; failed_logins stays for administrators.
ALTER TABLE users DROP COLUMN locked_until;
