"""Specific exception types of the node's networking.

A failure on one stream or one dial is one of these, each naming what went wrong and with whom,
so the caller can drop the peer's stream, score the peer or retry, and never has to parse a
libp2p exception. Bad protocol bytes inside a frame stay `protocol.errors.ProtocolError`s.
"""

from __future__ import annotations


class NetError(Exception):
    """Base of every networking failure the node reports."""


class DialError(NetError):
    """An address that does not parse, or a peer not reached within the connect timeout."""


class StreamTransferError(NetError):
    """A direct-stream transfer that failed; the stream has been reset."""


class OversizeFrameError(StreamTransferError):
    """A length header announcing more bytes than the limit for that kind of frame or blob."""


class MalformedFrameError(StreamTransferError):
    """A length header that is empty, zero, or contradicts the size its message announced."""


class TruncatedFrameError(StreamTransferError):
    """The peer closed or reset the stream before sending all the bytes it announced."""


class TransferTimeoutError(StreamTransferError):
    """The peer sent nothing for the per-read timeout, or the whole transfer took too long."""


class PeerBindingError(StreamTransferError):
    """A message on a direct stream signed by a key other than the stream's peer (SPEC §4.2)."""


class BlobUnavailableError(StreamTransferError):
    """The peer closed a blob stream without a blob: it does not hold that blob for that job."""


class GossipError(NetError):
    """A message this node may not publish on a topic, or a topic joined twice."""
