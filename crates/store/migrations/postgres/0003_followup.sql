-- Follow-up: protocol versions, plans (a patient's enrolment in a protocol), tasks and every
-- task state change. Keep in step with ../sqlite/0003_followup.sql.
CREATE TABLE protocols (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE plans (
    id UUID PRIMARY KEY,
    patient_id UUID NOT NULL REFERENCES patients (id),
    protocol_id TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    anchor_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped', 'completed')),
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    FOREIGN KEY (protocol_id, protocol_version) REFERENCES protocols (id, version)
);
CREATE INDEX plans_patient ON plans (patient_id);

CREATE TABLE tasks (
    id UUID PRIMARY KEY,
    plan_id UUID NOT NULL REFERENCES plans (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    step_key TEXT NOT NULL,
    method TEXT NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    deadline TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'due', 'in_progress', 'done', 'no_answer', 'failed', 'overdue', 'cancelled')),
    assignee_id UUID REFERENCES users (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, state, due_at);
CREATE INDEX tasks_plan ON tasks (plan_id, due_at);
CREATE INDEX tasks_due ON tasks (state, due_at);

CREATE TABLE task_transitions (
    id UUID PRIMARY KEY,
    task_id UUID NOT NULL REFERENCES tasks (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    event TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID,
    reason TEXT
);
CREATE INDEX task_transitions_task ON task_transitions (task_id, id);
