INSERT INTO reconciliation_reports (sale_id, status, report, created_at_ms)
VALUES (@sale_id, @status, @report, @created_at_ms)
ON CONFLICT (sale_id) DO UPDATE SET status = excluded.status, report = excluded.report, created_at_ms = excluded.created_at_ms;
