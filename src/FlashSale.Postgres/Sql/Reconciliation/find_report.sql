SELECT report::text FROM reconciliation_reports WHERE sale_id = @sale_id;
