-- See ../sqlite/0023_critical_limits.sql.
CREATE TABLE critical_limits (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL,
    at_most DOUBLE PRECISION,
    at_least DOUBLE PRECISION,
    source TEXT NOT NULL,
    updated_by UUID REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, code),
    CHECK (at_most IS NOT NULL OR at_least IS NOT NULL)
);
