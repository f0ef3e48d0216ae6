-- Closures: counters and higher-order functions (map/filter/reduce over arrays).
local n = tonumber(arg[1]) or 300000
local function counter()
  local c = 0
  return function(step) c = c + step; return c end
end
local function map(t, f) local r = {} for i = 1, #t do r[i] = f(t[i]) end return r end
local function filter(t, p) local r = {} for i = 1, #t do if p(t[i]) then r[#r + 1] = t[i] end end return r end
local function reduce(t, f, acc) for i = 1, #t do acc = f(acc, t[i]) end return acc end
local xs = {}
local tick = counter()
for i = 1, n do xs[i] = tick(3) % 1000 end
local ys = map(xs, function(x) return x * 2 + 1 end)
local zs = filter(ys, function(y) return y % 3 == 0 end)
local total = reduce(zs, function(a, b) return a + b end, 0)
print("closures", n, #zs, total)
