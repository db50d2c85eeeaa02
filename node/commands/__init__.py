"""The logic of each `novanode` sub-command, one module per topic; `node.cli` only wires
arguments to these functions."""
