"""What every service over a store shares: whether its calls may run on the event loop itself."""

from __future__ import annotations


class StoreService:
    """A service whose calls reach one store.

    ``inline`` is true when the store answers from this process in well under a millisecond (embedded SQLite):
    handing such a call to the thread pool and back costs more than the call, so endpoints marked with
    :func:`flowtrack.server.offload.store_call` run it on the event loop. A store across a network keeps the
    thread pool, so one slow round trip never stalls the other requests.
    """

    def __init__(self, *, inline: bool) -> None:
        self.inline = inline
