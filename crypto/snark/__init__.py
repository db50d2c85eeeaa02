"""The CompressedSNARK of a root node: Spartan over relaxed R1CS with an IPA commitment opening."""
