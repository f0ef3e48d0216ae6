-- String work: formatting, concatenation through a buffer, pattern matching and gsub.
local n = tonumber(arg[1]) or 60000
local parts = {}
for i = 1, n do
  parts[#parts + 1] = string.format("%d:%x;", i, i * 7)
end
local s = table.concat(parts)
local count, total = 0, 0
for a, b in s:gmatch("(%d+):(%x+);") do
  count = count + 1
  total = total + #a + #b
end
local upper = s:sub(1, 50000):gsub("%x", string.upper)
print("strings", n, #s, count, total, #upper)
