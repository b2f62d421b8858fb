-- See ../sqlite/0030_outbox_recipient.sql.
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
