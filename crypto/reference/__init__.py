"""Pure-Python reference implementations, written from the math, that the kernel is tested against."""
