-- See ../sqlite/0027_outbox_receipts.sql.
ALTER TABLE outbox ADD COLUMN delivery TEXT CHECK (delivery IN ('delivered', 'undelivered'));
ALTER TABLE outbox ADD COLUMN delivery_code TEXT;
ALTER TABLE outbox ADD COLUMN delivered_at TIMESTAMPTZ;
CREATE INDEX outbox_provider_ref ON outbox (provider_ref);
