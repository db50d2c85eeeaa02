"""The requester's SDK: describe a job, submit it, follow it, and check its proof offline.

    from node.client import builtin_spec, connect

    async with connect(bootstrap) as client:
        request = await client.submit(builtin_spec("builtin:cubic?log2=10", [3], steps=16))
        result = await request.result()

See `node.client.session` for the session, `node.client.spec` for job descriptions,
`node.client.events` for progress and `node.client.proof` for offline verification.
"""

from node.client.events import (
    Assigned,
    Claimed,
    Compressing,
    Event,
    Finished,
    LeafProgress,
    MergeDone,
    Reassigned,
)
from node.client.proof import Expected, ProofResult, verify_offline
from node.client.session import Client, Request, connect, request_id
from node.client.spec import (
    JobSpec,
    TracedJob,
    builtin_spec,
    circom_spec,
    load_advice,
    parse_state,
    prepare,
    recorded_spec,
)

__all__ = [
    "Assigned",
    "Claimed",
    "Client",
    "Compressing",
    "Event",
    "Expected",
    "Finished",
    "JobSpec",
    "LeafProgress",
    "MergeDone",
    "ProofResult",
    "Reassigned",
    "Request",
    "TracedJob",
    "builtin_spec",
    "circom_spec",
    "connect",
    "load_advice",
    "parse_state",
    "prepare",
    "recorded_spec",
    "request_id",
    "verify_offline",
]
