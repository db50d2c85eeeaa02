"""Pure-Python reference implementations, written from the math for small inputs.

They share no code with the kernel, so tests can check one against the other.
"""
