-- Risk tiers (风险分层): every assessment is kept (who, when, why); the patient row holds the
-- current tier for worklist filters, and a plan of a tiered protocol (检后随访) records the tier
-- its tasks were planned for, so a change of tier re-plans it. Keep in step with
-- ../sqlite/0011_risk_tiers.sql.
CREATE TABLE risk_tiers (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    tier TEXT NOT NULL CHECK (tier IN ('high', 'medium', 'low')),
    reason TEXT NOT NULL,
    -- 'staff' now; the risk models will add 'model'.
    source TEXT NOT NULL CHECK (source IN ('staff', 'model')),
    assessed_at TIMESTAMPTZ NOT NULL,
    assessed_by UUID REFERENCES users (id)
);
CREATE INDEX risk_tiers_patient ON risk_tiers (patient_id, assessed_at);

ALTER TABLE patients ADD COLUMN risk_tier TEXT CHECK (risk_tier IN ('high', 'medium', 'low'));
ALTER TABLE plans ADD COLUMN risk_tier TEXT CHECK (risk_tier IN ('high', 'medium', 'low'));
