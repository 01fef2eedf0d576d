-- A sale's gateway rules keep one name everywhere; their limits count requests per gateway window.
ALTER TABLE sales RENAME COLUMN protection TO gateway_rules;
UPDATE sales SET gateway_rules = replace(gateway_rules, 'RequestsPerSecond"', 'RequestsPerWindow"') WHERE gateway_rules IS NOT NULL;
