-- The relay's backlog: entries of the sale's ledger that the relay group has not been handed yet.
-- KEYS[1] the ledger stream; ARGV[1] the relay group; ARGV[2] the most entries counted one by one.
-- Redis keeps the group's lag itself while no entry was deleted out of order; otherwise the entries
-- after the group's last-delivered id are counted, up to ARGV[2].
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local delivered = '0-0'
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local fields = {}
  for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
  if fields['name'] == ARGV[1] then
    if type(fields['lag']) == 'number' then return fields['lag'] end
    delivered = fields['last-delivered-id']
  end
end
return #redis.call('XRANGE', KEYS[1], '(' .. delivered, '+', 'COUNT', tonumber(ARGV[2]))
