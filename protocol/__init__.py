"""novanode's wire protocol as pure data and rules: messages, signatures, assignment (no I/O)."""
