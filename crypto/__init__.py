"""novanode's proof engine: fields, groups, MSM, Poseidon, circuits and folding.

Knows nothing of the network. The hot loops live in the Rust kernel ``crypto._kernel``.
"""
