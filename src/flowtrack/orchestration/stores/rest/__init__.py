"""The orchestration store as a client of a flowtrack server's ``/api/v1`` (:mod:`.wire`: the format)."""
