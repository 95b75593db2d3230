"""Links between domains that must not import each other: a flow run and its tracked run.

Importing this package registers the tracking link (:mod:`.link`) with the orchestration engine;
``flowtrack.flow`` and ``flowtrack.task`` resolve through here so the link is always in place.
"""

from __future__ import annotations

from flowtrack.lineage.link import FLOW_RUN_ID_TAG, LINK, TrackingLink
from flowtrack.orchestration.flows import flow
from flowtrack.orchestration.tasks import task

__all__ = ["FLOW_RUN_ID_TAG", "LINK", "TrackingLink", "flow", "task"]
