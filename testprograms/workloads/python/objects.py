"""Objects and dicts: small classes, attribute access, method calls and a word-count dict."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000


class Vec:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x, self.y = x, y

    def add(self, other):
        return Vec(self.x + other.x, self.y + other.y)


v = Vec(0, 0)
step = Vec(1, 2)
for _ in range(n):
    v = v.add(step)
counts = {}
for k in range(n):
    w = "w%d" % (k % 997)
    counts[w] = counts.get(w, 0) + 1
print("objects", n, v.x, v.y, len(counts), max(counts.values()))
