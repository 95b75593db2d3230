"""The web UI's reads over ``/api/v1``: checked here with the client's rules, answered by the SQL store.

Only a SQL tracking store can answer them (a server always runs on one); anything else gets INVALID_STATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from flowtrack.exceptions import InvalidArgument, InvalidStateError
from flowtrack.server.services.tracking import view_type
from flowtrack.tracking import search, validation
from flowtrack.tracking.stores.base import TrackingStore
from flowtrack.tracking.stores.sql.convert import experiment_key
from flowtrack.tracking.stores.sql.store import SqlTrackingStore
from flowtrack.tracking.stores.sql.ui_reads import FLAT, Group, KeySelection, Nesting, UiReads

MAX_TABLE_ROWS = 5_000
MAX_HISTORY_POINTS = 200_000
DEFAULT_HISTORY_POINTS = 2_000
MAX_HISTORY_RUNS = 100
MAX_HISTORY_KEYS = 20
MAX_SELECTED_KEYS = 500
MAX_GROUPS = 1_000

Json = dict[str, Any]


class UiReadService:
    """Validation and wire shapes of the UI endpoints."""

    def __init__(self, store: TrackingStore) -> None:
        self._store = store
        self._reads: UiReads | None = store.ui_reads() if isinstance(store, SqlTrackingStore) else None

    @property
    def reads(self) -> UiReads:
        if self._reads is None:
            raise InvalidStateError("the UI endpoints need a SQL tracking store (sqlite, postgresql, mysql)")
        return self._reads

    def columns(self, experiment_ids: Sequence[str]) -> Json:
        keys = _experiment_keys(experiment_ids)
        for experiment_id in experiment_ids:
            self._store.get_experiment(experiment_id)  # ExperimentNotFound for an unknown id
        return asdict(self.reads.columns(keys))

    def run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        order_by: Sequence[str],
        view: str | int,
        offset: int,
        limit: int,
        keys: KeySelection,
        *,
        count: bool,
        nesting: Nesting = FLAT,
    ) -> Json:
        page = self.reads.run_table(
            _experiment_keys(experiment_ids),
            [stage.value for stage in view_type(view, "view_type").stages()],
            search.parse_run_filter(validation.validate_filter(filter_string or None)),
            search.parse_run_order_by(validation.validate_order_by(list(order_by))),
            _bounded("offset", offset, 0, 10**9),
            _bounded("limit", limit, 1, MAX_TABLE_ROWS),
            _checked_keys(keys),
            count=count,
            nesting=_checked_nesting(nesting),
        )
        result: Json = {"offset": offset, "runs": page.rows}
        if page.total is not None:
            result["total"] = page.total
        return result

    def groups(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        view: str | int,
        param: str,
        metric: str | None,
        limit: int,
    ) -> Json:
        found = self.reads.groups(
            _experiment_keys(experiment_ids),
            [stage.value for stage in view_type(view, "view_type").stages()],
            search.parse_run_filter(validation.validate_filter(filter_string or None)),
            validation.validate_lookup_name(param, "param"),
            None if metric is None else validation.validate_lookup_name(metric, "metric"),
            _bounded("limit", limit, 1, MAX_GROUPS),
        )
        groups = [_group_json(group) for group in found]
        return (
            {"param": param, "metric": metric, "groups": groups}
            if metric
            else {"param": param, "groups": groups}
        )

    def histories(self, run_ids: Sequence[str], keys: Sequence[str], max_points: int) -> Json:
        checked_runs = _unique(
            [validation.validate_run_id(run_id, "run_ids") for run_id in run_ids], "run_ids", MAX_HISTORY_RUNS
        )
        checked_keys = _unique(
            [validation.validate_lookup_name(key, "keys") for key in keys], "keys", MAX_HISTORY_KEYS
        )
        points = _bounded("max_points", max_points, 2, MAX_HISTORY_POINTS)
        found = self.reads.histories(checked_runs, checked_keys, points)
        return {"histories": [asdict(history) for history in found]}


def _group_json(group: Group) -> Json:
    result: Json = {"value": group.value, "count": group.count}
    if group.metric is not None:
        result["min"], result["mean"], result["max"] = group.metric
    return result


def _experiment_keys(experiment_ids: Sequence[str]) -> list[int]:
    if not experiment_ids:
        raise InvalidArgument("experiment_ids must name at least one experiment", field="experiment_ids")
    checked = [validation.validate_experiment_id(value, "experiment_ids") for value in experiment_ids]
    return [experiment_key(value) for value in checked]


def _checked_nesting(nesting: Nesting) -> Nesting:
    if nesting.parent_run_id is None:
        return nesting
    if nesting.top_level_only:
        # A run with a parent is never at the top level: both together would always answer nothing.
        raise InvalidArgument(
            "top_level_only and parent_run_id exclude each other; set one", field="top_level_only"
        )
    return Nesting(parent_run_id=validation.validate_run_id(nesting.parent_run_id, "parent_run_id"))


def _checked_keys(keys: KeySelection) -> KeySelection:
    def check(selected: Sequence[str] | None, kind: str) -> Sequence[str] | None:
        if selected is None or not selected:
            return selected  # None: every key; []: none of this kind
        return _unique(
            [validation.validate_lookup_name(key, kind) for key in selected], kind, MAX_SELECTED_KEYS
        )

    return KeySelection(
        check(keys.params, "params"), check(keys.metrics, "metrics"), check(keys.tags, "tags")
    )


def _unique(values: list[str], field: str, limit: int) -> list[str]:
    unique = list(dict.fromkeys(values))
    if not unique:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if len(unique) > limit:
        raise InvalidArgument(f"{field} holds {len(unique)} values; the limit is {limit}", field=field)
    return unique


def _bounded(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidArgument(f"{field} must be between {low} and {high}, got {value}", field=field)
    return value
