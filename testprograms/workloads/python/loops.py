"""Numeric loops: a sieve of Eratosthenes and a sum of squares, in plain Python."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
sieve = bytearray([1]) * (n + 1)
sieve[0] = sieve[1] = 0
i = 2
while i * i <= n:
    if sieve[i]:
        for j in range(i * i, n + 1, i):
            sieve[j] = 0
    i += 1
primes = sum(sieve)
acc = 0
for k in range(n // 2):
    acc += k * k % 7
print("loops", n, primes, acc)
