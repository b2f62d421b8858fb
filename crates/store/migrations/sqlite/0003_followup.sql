-- Follow-up: protocol versions, plans (a patient's enrolment in a protocol), tasks and every
-- task state change. Keep in step with ../postgres/0003_followup.sql.
CREATE TABLE protocols (
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE plans (
    id BLOB PRIMARY KEY NOT NULL,
    patient_id BLOB NOT NULL REFERENCES patients (id),
    protocol_id TEXT NOT NULL,
    protocol_version INTEGER NOT NULL,
    anchor_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'stopped', 'completed')),
    created_at TEXT NOT NULL,
    created_by BLOB,
    FOREIGN KEY (protocol_id, protocol_version) REFERENCES protocols (id, version)
);
CREATE INDEX plans_patient ON plans (patient_id);

CREATE TABLE tasks (
    id BLOB PRIMARY KEY NOT NULL,
    plan_id BLOB NOT NULL REFERENCES plans (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    step_key TEXT NOT NULL,
    method TEXT NOT NULL,
    due_at TEXT NOT NULL,
    deadline TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'due', 'in_progress', 'done', 'no_answer', 'failed', 'overdue', 'cancelled')),
    assignee_id BLOB REFERENCES users (id),
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX tasks_assignee ON tasks (assignee_id, state, due_at);
CREATE INDEX tasks_plan ON tasks (plan_id, due_at);
CREATE INDEX tasks_due ON tasks (state, due_at);

CREATE TABLE task_transitions (
    id BLOB PRIMARY KEY NOT NULL,
    task_id BLOB NOT NULL REFERENCES tasks (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    event TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_id BLOB,
    reason TEXT
);
CREATE INDEX task_transitions_task ON task_transitions (task_id, id);
