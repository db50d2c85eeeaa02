"""novanode's wire protocol as pure data and rules: messages, signatures, assignment (no I/O).

Nothing here opens a socket, touches the disk or reads a clock; callers pass the time in.
SPEC.md is the normative description; one module per job:

* `limits` — every size and count bound; `errors` — the `ProtocolError` hierarchy;
* `cbor` — canonical CBOR with a bounded, strict decoder; `schema` — field types;
* `messages` — the message dataclasses and their encode/decode;
* `signing` — signed bytes, Ed25519 sign/verify, job ids; `identity` — keys and libp2p peer ids;
* `replay` — expiry and sequence-number windows;
* `assignment` — ranking, capacity shares, merge routing, standbys; `tree` — step and join nodes;
* `schedule` — deadlines and hedging times; `lifecycle` — job and task state machines;
* `rules` — checks before acting, rejections with evidence;
* `content` — content addresses, the input index and step-input blobs; `transport` — channels
  and stream framing.
"""
