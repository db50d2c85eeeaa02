"""Pure-Python reference implementations written from the math, used to test the kernel."""
