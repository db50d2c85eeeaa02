"""The node's networking: a libp2p host, direct-stream framing and gossip (SPEC.md §4.2, §9.3)."""
