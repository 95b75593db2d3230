"""Size limits on request bodies, and the error raised when one is exceeded (mapped to 413)."""

from __future__ import annotations

from flowtrack.exceptions import FlowtrackError

# MLflow's largest request (log-batch: 1,000 metrics, 100 params of 6,000 and 100 tags of 8,000 characters)
# is under 2 MiB; anything far beyond that is refused before it is read into memory.
MAX_JSON_BODY_BYTES = 16 * 2**20
# After a limit is hit, up to this much more of the body is read and dropped, so a client that is still
# sending gets the 413 rather than a reset connection; a body declared larger than that is refused at once.
DRAIN_BYTES = 64 * 2**20


class PayloadTooLarge(FlowtrackError):
    """A request body is larger than the server accepts."""
