"""Gadgets: reusable pieces of circuits, generic over the circuit's field (Fr or Fq).

Each module has one job: `ecc` (points of the curve whose base field is the circuit's field),
`nonnative` (arithmetic modulo the other prime of the cycle, in 64-bit limbs).
"""
