"""Pure-Python references, written from the math, that the kernel is tested against."""
