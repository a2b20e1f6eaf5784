"""A small module to try slm-lsp on: `slm-lsp complete examples/quickstart.py:13:5`."""


def fibonacci(n: int) -> list[int]:
    """Return the first n Fibonacci numbers."""
    numbers = [0, 1]
    while len(numbers) < n:
        numbers.append(numbers[-1] + numbers[-2])
    return numbers[:n]


def is_prime(n: int) -> bool:
    
