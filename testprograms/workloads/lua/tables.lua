-- Table work: fill, sort with a comparator, hash-part inserts and lookups.
local n = tonumber(arg[1]) or 200000
local seed = 42
local function rand()
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed
end
local a = {}
for i = 1, n do a[i] = rand() % 1000000 end
table.sort(a, function(x, y) return x > y end)
local h = {}
for i = 1, n do
  local k = a[i] % 5003
  h[k] = (h[k] or 0) + 1
end
local distinct, maxc = 0, 0
for _, c in pairs(h) do
  distinct = distinct + 1
  if c > maxc then maxc = c end
end
print("tables", n, a[1], a[n], distinct, maxc)
