-- no-transaction
-- Psychological support (心理支持): a psychologist role, which negative emotions found in
-- patients' free-text replies are routed to; and the findings of that analysis on each
-- questionnaire response (JSON text). SQLite cannot alter the role CHECK constraint, so users
-- is rebuilt as in 0008 (https://www.sqlite.org/lang_altertable.html#otheralter). Sessions
-- reference users ON DELETE CASCADE; with foreign keys off the drop deletes none of them.
-- Keep in step with ../postgres/0016_psychologist_text_findings.sql.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE users_new (
    id BLOB PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'doctor', 'nurse', 'health_manager', 'psychologist')),
    department_id BLOB REFERENCES departments (id),
    active INTEGER NOT NULL DEFAULT 1,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO users_new
    SELECT id, username, display_name, password_hash, role, department_id, active, failed_logins,
           locked_until, created_at
    FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE questionnaire_responses ADD COLUMN findings TEXT;
COMMIT;
PRAGMA foreign_keys = ON;
