# A small Python workload for bench/record.sh: recursion, dict and list traffic, string
# formatting and sorting, so CPython's eval loop, its object allocator and its dicts all run.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 28

def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)

def words(count):
    seen = {}
    for i in range(count):
        w = "w%x" % ((i * 2654435761) % 4099)
        seen[w] = seen.get(w, 0) + 1
    return len(seen), max(seen.values())

def sorted_numbers(count):
    x, out = 1, []
    for _ in range(count):
        x = (x * 1103515245 + 12345) % 2147483648
        out.append(x)
    out.sort()
    return out[0], out[-1]

print("fib", fib(n))
print("words", *words(1000000))
print("sorted", *sorted_numbers(600000))
