"""``RestTrackingStore``: the tracking store as a client of a tracking server over MLflow's REST API 2.0.

It talks to ``flowtrack server`` and to an MLflow tracking server alike, making the calls the mlflow client
makes (same paths, fields and ``run_id``/``run_uuid`` pair). Filters and order-by arrive parsed and are sent
in their canonical text form.

Retries (see :mod:`flowtrack._internal.http`): reads, and writes whose repetition leaves the same state in
MLflow's model, are retried on transient failures: ``set-tag``, ``log-parameter`` (the same value again is
a no-op), ``log-metric`` and ``log-batch`` (an identical metric point is stored once), ``runs/update``,
delete and restore, ``log-inputs``, ``set-experiment-tag``, ``experiments/update``. ``runs/create`` and
``experiments/create`` would create a second object, and ``delete-tag`` fails the second time, so these
are retried only when the request provably never reached the server. A batch is sent as given, never split.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from flowtrack._internal.http import HttpSession, Retry, parse_endpoint
from flowtrack.exceptions import ExperimentNotFound, FlowtrackError
from flowtrack.tracking import search
from flowtrack.tracking.entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.filters import Comparison, EntityKind, OrderBy
from flowtrack.tracking.stores.base import TrackingStore
from flowtrack.tracking.stores.rest import wire
from flowtrack.tracking.stores.rest.errors import Subject, error_for
from flowtrack.tracking.stores.rest.logged_models import RestLoggedModels

__all__ = ["HISTORY_PAGE_SIZE", "RestTrackingStore"]

API_PREFIX = "api/2.0/mlflow/"
HISTORY_PAGE_SIZE = 25_000  # what the mlflow client asks for when it wants a whole history


@dataclass(frozen=True, slots=True)
class Call:
    """One REST endpoint: method, path under ``/api/2.0/mlflow/``, retry rule and error subject."""

    method: str
    path: str
    subject: Subject
    retry: Retry = Retry.IDEMPOTENT


_E, _ET, _S = Subject.EXPERIMENT, Subject.EXPERIMENT_TAG, Subject.SEARCH
_R, _RT = Subject.RUN, Subject.RUN_TAG
CREATE_EXPERIMENT = Call("POST", "experiments/create", _E, Retry.UNSENT)
GET_EXPERIMENT = Call("GET", "experiments/get", _E)
GET_EXPERIMENT_BY_NAME = Call("GET", "experiments/get-by-name", _E)
SEARCH_EXPERIMENTS = Call("POST", "experiments/search", _S)
UPDATE_EXPERIMENT = Call("POST", "experiments/update", _E)
DELETE_EXPERIMENT = Call("POST", "experiments/delete", _E)
RESTORE_EXPERIMENT = Call("POST", "experiments/restore", _E)
SET_EXPERIMENT_TAG = Call("POST", "experiments/set-experiment-tag", _ET)
DELETE_EXPERIMENT_TAG = Call("POST", "experiments/delete-experiment-tag", _ET, Retry.UNSENT)
CREATE_RUN = Call("POST", "runs/create", _E, Retry.UNSENT)  # fails on its experiment
GET_RUN = Call("GET", "runs/get", _R)
UPDATE_RUN = Call("POST", "runs/update", _R)
DELETE_RUN = Call("POST", "runs/delete", _R)
RESTORE_RUN = Call("POST", "runs/restore", _R)
LOG_METRIC = Call("POST", "runs/log-metric", _R)
LOG_PARAM = Call("POST", "runs/log-parameter", _R)
SET_TAG = Call("POST", "runs/set-tag", _RT)
DELETE_TAG = Call("POST", "runs/delete-tag", _RT, Retry.UNSENT)
LOG_BATCH = Call("POST", "runs/log-batch", _R)
LOG_INPUTS = Call("POST", "runs/log-inputs", _R)
GET_METRIC_HISTORY = Call("GET", "metrics/get-history", _R)
SEARCH_RUNS = Call("POST", "runs/search", _S)


def _server_hint(url: str) -> str:
    return (
        "Is the server running? Start one with `flowtrack server start`, or check the tracking URI "
        f"({url}: set_tracking_uri / FLOWTRACK_TRACKING_URI / MLFLOW_TRACKING_URI) and any proxy or firewall"
    )


class RestTrackingStore(RestLoggedModels, TrackingStore):
    """The store behind ``http(s)://[user:password@]host[:port][/prefix]``; one keep-alive connection pool."""

    def __init__(self, uri: str, artifact_root: str | None = None) -> None:
        self.uri = uri
        endpoint = parse_endpoint(uri)
        self.session = HttpSession(endpoint, service="tracking server", hint=_server_hint(endpoint.display))

    def close(self) -> None:
        self.session.close()

    # -- plumbing --------------------------------------------------------------------------------------------
    def _call(
        self, call: Call, payload: Mapping[str, Any] | None = None, params: Mapping[str, str] | None = None
    ) -> wire.JsonObject:
        """Send ``payload`` (JSON body) or ``params`` (query string); return the decoded JSON response."""
        body = None if payload is None else wire.encode(dict(payload))
        headers = None if payload is None else {"Content-Type": "application/json"}
        path = API_PREFIX + call.path
        response = self.session.send(
            call.method, path, params=params, body=body, headers=headers, retry=call.retry
        )
        where = f"{call.method} {self.session.endpoint.display}/{path}"
        if not response.is_success:
            raise error_for(call.subject, response, where)
        return _json(response, where)

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None, tags: Sequence[RunTag]) -> str:
        payload: dict[str, Any] = {"name": name, "tags": wire.key_values(tags)}
        if artifact_location:
            payload["artifact_location"] = artifact_location
        return str(self._call(CREATE_EXPERIMENT, payload)["experiment_id"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self._call(GET_EXPERIMENT, params={"experiment_id": experiment_id})
        return wire.experiment_from_json(found["experiment"])

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            found = self._call(GET_EXPERIMENT_BY_NAME, params={"experiment_name": name})
        except ExperimentNotFound:
            return None
        return wire.experiment_from_json(found["experiment"])

    def search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[Experiment]:
        payload = _search_payload(max_results, filters, order_by, page_token)
        payload["view_type"] = ViewType.parse(view_type).value
        found = self._call(SEARCH_EXPERIMENTS, payload)
        experiments = [wire.experiment_from_json(item) for item in found.get("experiments") or ()]
        return PagedList(experiments, found.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._call(UPDATE_EXPERIMENT, {"experiment_id": experiment_id, "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._call(DELETE_EXPERIMENT, {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        self._call(RESTORE_EXPERIMENT, {"experiment_id": experiment_id})

    def set_experiment_tag(self, experiment_id: str, tag: RunTag) -> None:
        self._call(SET_EXPERIMENT_TAG, {"experiment_id": experiment_id, "key": tag.key, "value": tag.value})

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._call(DELETE_EXPERIMENT_TAG, {"experiment_id": experiment_id, "key": key})

    # -- runs ------------------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag],
    ) -> Run:
        payload: dict[str, Any] = {
            "experiment_id": experiment_id,
            "user_id": user_id,
            "start_time": start_time,
            "tags": wire.key_values(tags),
        }
        if run_name:
            payload["run_name"] = run_name
        return wire.run_from_json(self._call(CREATE_RUN, payload)["run"])

    def get_run(self, run_id: str) -> Run:
        return wire.run_from_json(self._call(GET_RUN, params=_run_ids(run_id))["run"])

    def update_run_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        payload: dict[str, Any] = _run_ids(run_id)
        if status is not None:
            payload["status"] = RunStatus(status).value
        if end_time is not None:
            payload["end_time"] = end_time
        if run_name:
            payload["run_name"] = run_name
        return wire.run_info_from_json(self._call(UPDATE_RUN, payload)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._call(DELETE_RUN, {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._call(RESTORE_RUN, {"run_id": run_id})

    # -- run data --------------------------------------------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> None:
        self._call(LOG_METRIC, {**_run_ids(run_id), **wire.metric_to_json(metric)})

    def log_param(self, run_id: str, param: Param) -> None:
        self._call(LOG_PARAM, {**_run_ids(run_id), "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self._call(SET_TAG, {**_run_ids(run_id), "key": tag.key, "value": tag.value})

    def delete_tag(self, run_id: str, key: str) -> None:
        self._call(DELETE_TAG, {"run_id": run_id, "key": key})

    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> None:
        payload: dict[str, Any] = {"run_id": run_id}
        if metrics:
            payload["metrics"] = [wire.metric_to_json(metric) for metric in metrics]
        if params:
            payload["params"] = wire.key_values(params)
        if tags:
            payload["tags"] = wire.key_values(tags)
        self._call(LOG_BATCH, payload)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        self._call(LOG_INPUTS, {"run_id": run_id, "datasets": wire.dataset_inputs_to_json(datasets)})

    # -- reads -----------------------------------------------------------------------------------------------
    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        if max_results is not None:
            return self._history_page(run_id, key, max_results, page_token)
        points: list[Metric] = []
        token = page_token
        while True:
            page = self._history_page(run_id, key, HISTORY_PAGE_SIZE, token)
            points.extend(page)
            token = page.token
            if token is None:
                return PagedList(points, None)

    def _history_page(
        self, run_id: str, key: str, max_results: int, page_token: str | None
    ) -> PagedList[Metric]:
        params = {**_run_ids(run_id), "metric_key": key, "max_results": str(max_results)}
        if page_token:
            params["page_token"] = page_token
        found = self._call(GET_METRIC_HISTORY, params=params)
        return PagedList(wire.metrics_from_json(found.get("metrics")), found.get("next_page_token") or None)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        view_type: ViewType,
        max_results: int,
        page_token: str | None,
    ) -> PagedList[Run]:
        if not experiment_ids:
            return PagedList([], None)
        payload = _search_payload(max_results, filters, order_by, page_token)
        payload["experiment_ids"] = list(experiment_ids)
        payload["run_view_type"] = ViewType.parse(view_type).value
        found = self._call(SEARCH_RUNS, payload)
        runs = [wire.run_from_json(item) for item in found.get("runs") or ()]
        return PagedList(runs, found.get("next_page_token") or None)


# -- helpers -------------------------------------------------------------------------------------------------
def _run_ids(run_id: str) -> dict[str, Any]:
    """Both spellings, as the mlflow client sends them: older servers read ``run_uuid``."""
    return {"run_id": run_id, "run_uuid": run_id}


def _search_payload(
    max_results: int, filters: Sequence[Comparison], order_by: Sequence[OrderBy], page_token: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"max_results": max_results}
    if filters:
        payload["filter"] = " AND ".join(_singular(search.format_filter([item])) for item in filters)
    if order_by:
        payload["order_by"] = [_singular(clause) for clause in search.format_order_by(order_by)]
    if page_token:
        payload["page_token"] = page_token
    return payload


def _singular(clause: str) -> str:
    """``attribute.`` for ``attributes.``: MLflow's experiment search knows only the singular prefix."""
    plural = f"{EntityKind.ATTRIBUTE.value}."
    return "attribute." + clause[len(plural) :] if clause.startswith(plural) else clause


def _json(response: httpx.Response, where: str) -> wire.JsonObject:
    try:
        return wire.decode(response.content) if response.content else {}
    except ValueError as exc:
        snippet = response.text[:200]
        raise FlowtrackError(
            f"{where} answered HTTP {response.status_code} with a body that is not a JSON object: "
            f"{snippet!r}; is the tracking URI the base URL of an MLflow-compatible tracking server?"
        ) from exc
