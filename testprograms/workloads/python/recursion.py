"""Recursion: naive Fibonacci and a recursive permutation count."""
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 25


def fib(k):
    return k if k < 2 else fib(k - 1) + fib(k - 2)


def perms(items):
    if len(items) <= 1:
        return 1
    return sum(perms(items[:i] + items[i + 1:]) for i in range(len(items)))


print("recursion", n, fib(n), perms(list(range(min(8, n // 3)))))
