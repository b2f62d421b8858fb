-- The provider template a message goes as (careloop_domain::followup::message::TEMPLATES) and
-- its named parameters (JSON array of [name, value]; a link's place kept as [链接] until it is
-- sent): a real SMS provider sends an approved template, not free text.
-- Keep in step with ../postgres/0026_outbox_templates.sql.
ALTER TABLE outbox ADD COLUMN template TEXT;
ALTER TABLE outbox ADD COLUMN template_params TEXT;
