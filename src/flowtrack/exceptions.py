"""The flowtrack exception tree.

Every failure a caller may want to handle has its own class under :class:`FlowtrackError`. HTTP statuses and
MLflow ``error_code`` strings are attached only at the server edge, never here.
"""

from __future__ import annotations


class FlowtrackError(Exception):
    """Base class of every error flowtrack raises on purpose."""


class InvalidArgument(FlowtrackError, ValueError):
    """An argument a caller passed is malformed; ``field`` names which one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FilterSyntaxError(InvalidArgument):
    """A search filter or order-by clause could not be parsed."""

    def __init__(
        self, message: str, *, text: str, position: int, expected: str, field: str = "filter"
    ) -> None:
        pointer = f"{text}\n{' ' * position}^"
        super().__init__(f"{message} at position {position}: expected {expected}\n{pointer}", field=field)
        self.text = text
        self.position = position
        self.expected = expected


class ParamOverwriteError(InvalidArgument):
    """A param already holds a different value; MLflow semantics forbid changing it."""


class ArtifactPathError(InvalidArgument):
    """An artifact path would leave its artifact root."""


class UnsupportedUriError(InvalidArgument):
    """No store or artifact repository handles this URI scheme."""


class NotFound(FlowtrackError, LookupError):
    """The requested object does not exist."""


class ExperimentNotFound(NotFound):
    """No experiment with that id or name."""


class RunNotFound(NotFound):
    """No run with that id."""


class LoggedModelNotFound(NotFound):
    """No logged model (MLflow 3 ``m-…`` id) with that id, or it is deleted."""


class ArtifactNotFound(NotFound):
    """No artifact at that path."""


class AlreadyExists(FlowtrackError):
    """An object with that identity exists already."""


class ExperimentAlreadyExists(AlreadyExists):
    """An experiment with that name exists already (possibly deleted)."""


class InvalidStateError(FlowtrackError):
    """The object is in a state that forbids the operation."""


class RunNotActive(InvalidStateError):
    """The run is deleted; restore it before logging to it."""


class ExperimentNotActive(InvalidStateError):
    """The experiment is deleted; restore it before using it."""


class NoActiveRun(InvalidStateError):
    """A fluent call needed an active run and none was started."""


class RunAlreadyActive(InvalidStateError):
    """start_run was called while a run is active; pass nested=True to start a child run."""


class StoreUnavailable(FlowtrackError):
    """The backing database or server cannot be reached."""


class MissingDependency(FlowtrackError, ImportError):
    """An optional library is needed; the message names the extra that installs it."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is required for this feature: pip install 'flowtrack[{extra}]'")
        self.package = package
        self.extra = extra
