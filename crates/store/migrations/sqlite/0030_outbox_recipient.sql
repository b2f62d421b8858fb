-- A reply is matched to the newest message sent to its number (careloop_store::consents::
-- sent_to_many): without this index every reply read the whole outbox.
-- Keep in step with ../postgres/0030_outbox_recipient.sql.
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
