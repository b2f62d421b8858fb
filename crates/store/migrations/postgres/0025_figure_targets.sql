-- See ../sqlite/0025_figure_targets.sql.
CREATE TABLE figure_targets (
    organisation_id UUID NOT NULL REFERENCES organisations (id),
    figure TEXT NOT NULL,
    percent DOUBLE PRECISION NOT NULL CHECK (percent >= 0 AND percent <= 100),
    source TEXT NOT NULL,
    updated_by UUID REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, figure)
);
