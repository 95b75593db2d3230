"""HTTP plumbing shared by the REST tracking store and the artifact proxy client.

An :class:`HttpSession` is one keep-alive ``httpx.Client`` (HTTP/1.1) bound to a base URL, with credentials,
timeouts and retries. Credentials come from the URL (``http://user:pass@host``), else
``FLOWTRACK_TRACKING_USERNAME``/``_PASSWORD`` (or the ``MLFLOW_`` spellings), else a bearer token from
``FLOWTRACK_TRACKING_TOKEN`` / ``MLFLOW_TRACKING_TOKEN``.

Retries use exponential backoff with jitter, honour ``Retry-After``, and stop after ``max_retries`` or once
the retry time budget is spent, whichever comes first. Which failures are retried depends on the call:

- ``Retry.IDEMPOTENT``: connection errors, timeouts, dropped connections, 429, 502, 503 and 504.
- ``Retry.UNSENT``: only failures that prove the server did not act: the connection could not be opened,
  or 429 (rate limited before processing). Used for calls that create something (a run, an experiment).

Environment (``FLOWTRACK_*`` first, then MLflow's spelling where MLflow has one):
``FLOWTRACK_HTTP_MAX_RETRIES`` (5), ``FLOWTRACK_HTTP_BACKOFF_FACTOR`` (0.1 s, doubled per retry),
``FLOWTRACK_HTTP_RETRY_TIMEOUT`` (30 s budget), ``FLOWTRACK_HTTP_REQUEST_TIMEOUT`` (120 s per request),
``FLOWTRACK_TRACKING_INSECURE_TLS``, ``FLOWTRACK_TRACKING_SERVER_CERT_PATH``,
``FLOWTRACK_TRACKING_CLIENT_CERT_PATH``. With the defaults an unreachable server is reported after ~3 s.
"""

from __future__ import annotations

import enum
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import httpx

from flowtrack.exceptions import InvalidArgument, StoreUnavailable

__all__ = [
    "RETRY_STATUSES",
    "Endpoint",
    "HttpSession",
    "Retry",
    "RetryPolicy",
    "env_value",
    "parse_endpoint",
    "quote_path",
]

RETRY_STATUSES = frozenset({429, 502, 503, 504})
_UNSENT_STATUSES = frozenset({429})
_USER_AGENT = "flowtrack"
T = TypeVar("T")
Body = bytes | Callable[[], Iterable[bytes]] | None


class Retry(enum.Enum):
    IDEMPOTENT = "idempotent"
    UNSENT = "unsent"


def env_value(*names: str) -> str | None:
    """The first non-empty environment variable of ``names``."""
    for name in names:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def _env_number(names: tuple[str, ...], default: float, kind: type[int] | type[float]) -> float:
    raw = env_value(*names)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        raise InvalidArgument(f"{names[0]} must be a number, got {raw!r}", field=names[0]) from exc
    if value < 0:
        raise InvalidArgument(f"{names[0]} must not be negative, got {raw!r}", field=names[0])
    return value


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry: delay ``backoff_factor * 2**n`` (capped, with jitter)."""

    max_retries: int = 5
    backoff_factor: float = 0.1
    backoff_max: float = 5.0
    timeout: float = 30.0  # no retry starts after this many seconds since the first attempt

    @classmethod
    def from_env(cls) -> RetryPolicy:
        return cls(
            max_retries=int(
                _env_number(("FLOWTRACK_HTTP_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"), 5, int)
            ),
            backoff_factor=_env_number(("FLOWTRACK_HTTP_BACKOFF_FACTOR",), 0.1, float),
            timeout=_env_number(("FLOWTRACK_HTTP_RETRY_TIMEOUT",), 30.0, float),
        )

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry ``retry`` (0-based): the full backoff minus up to half as jitter."""
        backoff = min(self.backoff_max, self.backoff_factor * 2.0**retry)
        jittered = backoff * (0.5 + random.random() / 2)
        if retry_after is not None:
            return min(max(retry_after, jittered), self.backoff_max)
        return jittered


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A base URL without credentials (``url``), its credentials, and a form safe to print (``display``)."""

    url: str
    display: str
    auth: tuple[str, str] | None = None
    token: str | None = None


def parse_endpoint(uri: str, *, field: str = "tracking_uri") -> Endpoint:
    """Split ``http(s)://[user:pass@]host[:port][/prefix]`` into base URL and credentials."""
    parts = urlsplit(uri)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(f"expected an http:// or https:// URL with a host, got {uri!r}", field=field)
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidArgument(f"invalid port in {uri!r}", field=field) from exc
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{host}:{port}" if port is not None else host
    url = urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))
    if parts.username is not None:
        auth = (unquote(parts.username), unquote(parts.password or ""))
        return Endpoint(url, url, auth=auth)
    return Endpoint(url, url, auth=_env_basic_auth(), token=env_value(*_TOKEN_VARS))


_TOKEN_VARS = ("FLOWTRACK_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN")


def _env_basic_auth() -> tuple[str, str] | None:
    user = env_value("FLOWTRACK_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME")
    password = env_value("FLOWTRACK_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD")
    return (user, password or "") if user else None


def quote_path(path: str) -> str:
    """Percent-encode a ``/``-separated path for use in a URL (``/`` kept)."""
    return quote(path, safe="/")


def _tls_options() -> dict[str, Any]:
    options: dict[str, Any] = {}
    insecure = env_value("FLOWTRACK_TRACKING_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS")
    server_cert = env_value("FLOWTRACK_TRACKING_SERVER_CERT_PATH", "MLFLOW_TRACKING_SERVER_CERT_PATH")
    if insecure and insecure.lower() in ("1", "true", "yes"):
        options["verify"] = False
    elif server_cert:
        import ssl

        options["verify"] = ssl.create_default_context(cafile=server_cert)
    if client_cert := env_value("FLOWTRACK_TRACKING_CLIENT_CERT_PATH", "MLFLOW_TRACKING_CLIENT_CERT_PATH"):
        options["cert"] = client_cert
    return options


def _headers(endpoint: Endpoint) -> dict[str, str]:
    headers = {"User-Agent": _USER_AGENT}
    if endpoint.auth is None and endpoint.token:
        headers["Authorization"] = f"Bearer {endpoint.token}"
    return headers


class HttpSession:
    """One keep-alive HTTP client for one server; thread-safe, as ``httpx.Client`` is.

    ``service`` names the server in errors ("tracking server"); ``hint`` says what to check when it is down.
    A forked child process gets a connection pool of its own: the inherited sockets belong to the parent.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        service: str = "tracking server",
        hint: str = "",
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.service = service
        self.hint = hint
        self.retry = retry or RetryPolicy.from_env()
        seconds = timeout or _env_number(
            ("FLOWTRACK_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_TIMEOUT"), 120.0, float
        )
        self._options: dict[str, Any] = {
            "base_url": endpoint.url,
            "auth": httpx.BasicAuth(*endpoint.auth) if endpoint.auth else None,
            "headers": _headers(endpoint),
            "timeout": httpx.Timeout(seconds, connect=min(seconds, 10.0)),
            # idle connections are dropped before uvicorn's 5 s keep-alive ends, so a request never races the
            # server closing the connection it was sent on (that would be ambiguous for a create call)
            "limits": httpx.Limits(max_connections=32, max_keepalive_connections=16, keepalive_expiry=4.0),
            "follow_redirects": True,
            **_tls_options(),
        }
        self._client = httpx.Client(**self._options)
        self._pid = os.getpid()

    @property
    def client(self) -> httpx.Client:
        if self._pid != os.getpid():  # never close the parent's pool: shutting its sockets would cut it off
            self._client = httpx.Client(**self._options)
            self._pid = os.getpid()
        return self._client

    def close(self) -> None:
        if self._pid == os.getpid():
            self._client.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Body = None,
        headers: Mapping[str, str] | None = None,
        retry: Retry = Retry.IDEMPOTENT,
    ) -> httpx.Response:
        """Send one request (retrying as ``retry`` allows) and return the response, read in full."""

        def attempt() -> httpx.Response:
            content = body() if callable(body) else body
            return self.client.request(method, path, params=params, content=content, headers=headers)

        return self.retrying(attempt, retry, f"{method} {path}")

    def retrying(self, attempt: Callable[[], httpx.Response], retry: Retry, what: str) -> httpx.Response:
        """Call ``attempt`` until it returns a response that is final, retrying transient failures."""
        started = time.monotonic()
        retries = 0
        while True:
            try:
                response = attempt()
            except httpx.TransportError as exc:
                if not (_retryable_error(exc, retry) and self._may_retry(started, retries)):
                    raise self._unavailable(exc, started, retries + 1, what) from exc
                delay = self.retry.delay(retries)
            else:
                statuses = RETRY_STATUSES if retry is Retry.IDEMPOTENT else _UNSENT_STATUSES
                if response.status_code not in statuses or not self._may_retry(started, retries):
                    return response
                delay = self.retry.delay(retries, _retry_after(response))
            if time.monotonic() + delay - started > self.retry.timeout:
                delay = max(0.0, self.retry.timeout - (time.monotonic() - started))
            time.sleep(delay)
            retries += 1

    def _may_retry(self, started: float, retries: int) -> bool:
        return retries < self.retry.max_retries and time.monotonic() - started < self.retry.timeout

    def _unavailable(self, exc: httpx.TransportError, started: float, attempts: int, what: str) -> Exception:
        elapsed = time.monotonic() - started
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.1f} s"
        reason = _reason(exc)
        message = f"cannot reach the {self.service} at {self.endpoint.display} ({reason}; {what}; {tries})"
        return StoreUnavailable(f"{message}. {self.hint}" if self.hint else message)


def _retryable_error(exc: httpx.TransportError, retry: Retry) -> bool:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return True  # the request never left this process
    if retry is Retry.UNSENT:
        return False
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectError) and "refused" in text.lower():
        return "connection refused"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out: {text}"
    return text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date; the backoff applies
