INSERT INTO schema_version (version, name, applied_at_ms) VALUES (@version, @name, @now_ms);
