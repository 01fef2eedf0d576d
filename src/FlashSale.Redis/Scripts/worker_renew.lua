-- Keeps a process's worker id lease: extends it while this process holds it, takes it again if it
-- lapsed and nobody took it meanwhile, and reports when another process holds it.
-- KEYS: 1 lease key; ARGV: 1 this process's token, 2 lease time in ms
-- Returns 1 kept, 2 taken again, 0 held by another process.
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
