-- A small interpreter-style workload for bench/record.sh: recursion, table traffic, string
-- building and closures, so the interpreter's dispatch, its table code and the allocator all run.
local n = tonumber(arg and arg[1]) or 31

local function fib(k) if k < 2 then return k end return fib(k - 1) + fib(k - 2) end

local function sieve(limit)
  local composite, count = {}, 0
  for i = 2, limit do
    if not composite[i] then
      count = count + 1
      for j = i * i, limit, i do composite[j] = true end
    end
  end
  return count
end

local function words(count)
  local parts, seen = {}, {}
  for i = 1, count do
    local w = string.format("w%x", (i * 2654435761) % 4099)
    seen[w] = (seen[w] or 0) + 1
    parts[#parts + 1] = w
  end
  local distinct = 0
  for _ in pairs(seen) do distinct = distinct + 1 end
  return #table.concat(parts, " "), distinct
end

local function sorted(count)
  local t, x = {}, 1
  for i = 1, count do x = (x * 1103515245 + 12345) % 2147483648; t[i] = x end
  table.sort(t, function(a, b) return a < b end)
  return t[1], t[count]
end

print("fib", fib(n))
print("primes", sieve(4000000))
print("words", words(600000))
print("sorted", sorted(600000))
