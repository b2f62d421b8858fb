-- Which stored values a lab report (检查报告) holds: the sender keys (`source|key`, as in
-- observations.external_id) of its results, as a JSON array in text. Reports imported before
-- this column keep only their result count.
ALTER TABLE lab_reports ADD COLUMN result_keys TEXT;
