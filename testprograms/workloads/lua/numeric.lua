-- Numeric loops: a Mandelbrot escape-time sum over an N x N grid (floats, nested loops).
local n = tonumber(arg[1]) or 300
local sum = 0
for y = 0, n - 1 do
  local ci = 2.0 * y / n - 1.0
  for x = 0, n - 1 do
    local cr = 2.5 * x / n - 2.0
    local zr, zi, i = 0.0, 0.0, 0
    while i < 50 and zr * zr + zi * zi < 4.0 do
      zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
      i = i + 1
    end
    sum = sum + i
  end
end
print("numeric", n, sum)
