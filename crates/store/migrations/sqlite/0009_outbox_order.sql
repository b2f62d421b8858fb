-- The sender takes queued messages oldest first (ORDER BY id LIMIT n); with only
-- (status, lease_until) indexed, every batch sorted the whole queue, so draining 100k messages
-- slowed as it went. Keep in step with ../postgres/0009_outbox_order.sql.
CREATE INDEX outbox_queued_order ON outbox (status, id);
