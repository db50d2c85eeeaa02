"""Gadgets: reusable pieces of circuits, generic over the circuit's field (Fr or Fq).

Each module has one job: `boolean` (bits and logic), `bits` (decomposition, packing, range
checks), `eq` (equality, zero tests, selection), `poseidon` (permutation, hash, sponge), `ecc`
(points of the curve whose base field is the circuit's field), `nonnative` (arithmetic modulo
the cycle's other prime, in 64-bit limbs), `nifs_verifier` (folds of the other curve's relaxed
instances, checked against the native NIFS).
"""
