-- An organisation's critical-value table for laboratory results (危急值表): its own limits for
-- an indicator, replacing the seeded row (careloop_domain::critical). A row names its source.
-- Keep in step with ../postgres/0023_critical_limits.sql.
CREATE TABLE critical_limits (
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL,
    at_most REAL,
    at_least REAL,
    source TEXT NOT NULL,
    updated_by BLOB REFERENCES users (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, code),
    CHECK (at_most IS NOT NULL OR at_least IS NOT NULL)
);
