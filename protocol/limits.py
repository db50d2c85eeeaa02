"""Every size and count bound of protocol version 1 (SPEC.md §10).

Decoders check these before they allocate, so a peer cannot make another one parse or hold more
than these bounds, whatever it sends.
"""

from __future__ import annotations

from typing import Final

PROTOCOL_VERSION: Final = 1

KiB: Final = 1024
MiB: Final = 1024 * KiB

# Gossipsub drops RPCs over 1 MiB without an error; every message must fit well below that.
MAX_MESSAGE_BYTES: Final = 768 * KiB
MAX_EVIDENCE_BYTES: Final = 512 * KiB
MAX_PROOF_BYTES: Final = 256 * KiB
MAX_RESULT_BYTES: Final = 64 * KiB
MAX_TEXT_BYTES: Final = 256
MAX_CBOR_DEPTH: Final = 6

MAX_STEPS: Final = 1 << 20
MAX_WORKERS: Final = 1024
MAX_SLOTS: Final = 1024
MAX_SEQ: Final = (1 << 63) - 1
MAX_TIME_MS: Final = (1 << 53) - 1
MAX_TTL_MS: Final = 7 * 24 * 3600 * 1000
MAX_CONSTRAINTS_PER_SECOND: Final = 1 << 40
MAX_CONSTRAINTS_PER_STEP: Final = 1 << 32
PERMILLE: Final = 1000

# Blobs travel over direct streams only; these bound what a receiver accepts.
MAX_NODE_BYTES: Final = 4 * 1024 * MiB
MAX_STEP_INPUT_BYTES: Final = 16 * MiB
MAX_CIRCUIT_BYTES: Final = 1024 * MiB
# A recorded step's witness (a .wtns file) inside its step input, leaving room for the state:
# a circuit of recorded steps has at most (16 MiB - 64 KiB - 76) / 32 = 522,237 wires.
MAX_WITNESS_BYTES: Final = MAX_STEP_INPUT_BYTES - 64 * KiB
# Wasm instructions (wasmtime fuel) a circom package's witness generator may run per step: every
# node must agree, or a step one node proves another refuses.
MAX_WASM_FUEL: Final = 100_000_000_000
# A step input carries the state before its step: at most this many elements of the field Fr,
# each a 32-byte little-endian integer below FR_MODULUS (BN254's scalar field, SPEC.md §14.1).
MAX_STATE_ELEMENTS: Final = 1024
# JSON advice may nest arrays and objects this deep (a circom input object needs a few levels).
MAX_ADVICE_DEPTH: Final = 32
FR_MODULUS: Final = 21888242871839275222246405745257275088548364400416034343698204186575808495617
FIELD_ELEMENT_BYTES: Final = 32

PUBLIC_KEY_BYTES: Final = 32
SIGNATURE_BYTES: Final = 64
HASH_BYTES: Final = 32
NONCE_BYTES: Final = 16

# A peer list (SPEC.md §9.3): what one answer of the peers protocol may hold.
MAX_PEER_LIST_BYTES: Final = 64 * KiB
MAX_PEERS_LISTED: Final = 64
MAX_ADDRS_PER_PEER: Final = 8
MAX_ADDR_BYTES: Final = 256
