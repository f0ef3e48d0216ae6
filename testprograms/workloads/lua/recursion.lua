-- Recursion: naive Fibonacci and Ackermann-style call depth.
local n = tonumber(arg[1]) or 27
local function fib(k)
  if k < 2 then return k end
  return fib(k - 1) + fib(k - 2)
end
local function tak(x, y, z)
  if y >= x then return z end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end
print("recursion", n, fib(n), tak(n // 2, n // 3, n // 6))
