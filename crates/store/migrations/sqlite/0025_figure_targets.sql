-- An organisation's targets for the follow-up figures (考核目标): the percentage it aims for on
-- a figure (careloop_domain::targets) and where the target comes from. No row: no target.
-- Keep in step with ../postgres/0025_figure_targets.sql.
CREATE TABLE figure_targets (
    organisation_id BLOB NOT NULL REFERENCES organisations (id),
    figure TEXT NOT NULL,
    percent REAL NOT NULL CHECK (percent >= 0 AND percent <= 100),
    source TEXT NOT NULL,
    updated_by BLOB REFERENCES users (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (organisation_id, figure)
);
