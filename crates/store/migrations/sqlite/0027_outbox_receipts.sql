-- A provider's delivery receipt (状态报告) on the message it reports: delivered or not, the
-- provider's code (DELIVERED, or why not) and when. The first receipt stands.
-- Keep in step with ../postgres/0027_outbox_receipts.sql.
ALTER TABLE outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('delivered', 'undelivered'));
ALTER TABLE outbox ADD COLUMN delivery_code TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at TEXT;
CREATE INDEX outbox_provider_ref ON outbox (provider_ref);
