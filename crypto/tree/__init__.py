"""Tree-shaped Nova (PCD) over the BN254/Grumpkin cycle: see docs/tree-nova.md."""
