-- See ../sqlite/0026_outbox_templates.sql.
ALTER TABLE outbox ADD COLUMN template TEXT;
ALTER TABLE outbox ADD COLUMN template_params TEXT;
