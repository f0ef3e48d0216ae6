-- Errors and coroutines: pcall/error (longjmp inside the interpreter) and coroutine resume/yield
-- in a hot loop; every fifth call raises.
local n = tonumber(arg[1]) or 100000
local function risky(i)
  if i % 5 == 0 then error({code = i % 7}) end
  return i * 3
end
local ok_sum, err_sum = 0, 0
for i = 1, n do
  local ok, v = pcall(risky, i)
  if ok then ok_sum = ok_sum + v else err_sum = err_sum + v.code end
end
local gen = coroutine.wrap(function()
  for i = 1, n do coroutine.yield(i % 13) end
  return -1
end)
local co_sum = 0
for _ = 1, n do co_sum = co_sum + gen() end
print("protected", n, ok_sum, err_sum, co_sum)
