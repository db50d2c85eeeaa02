"""The operator's node: wires the proof engine and the protocol to libp2p and disk."""
