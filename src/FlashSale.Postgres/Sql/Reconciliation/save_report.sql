INSERT INTO reconciliation_reports (sale_id, status, report, created_at)
VALUES (@sale_id, @status, @report::jsonb, @created_at)
ON CONFLICT (sale_id) DO UPDATE SET status = excluded.status, report = excluded.report, created_at = excluded.created_at;
