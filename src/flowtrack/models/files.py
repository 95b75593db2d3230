"""The side files of a model directory: the environment (``requirements.txt``, ``python_env.yaml``,
``conda.yaml``) and the input example (``input_example.json`` plus ``serving_input_example.json``, the
request body the scoring server accepts for it)."""

from __future__ import annotations

import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowtrack.models.model import PYFUNC_FLAVOR, Model, dump_yaml
from flowtrack.models.versions import pinned_version

__all__ = ["add_pyfunc_flavor", "pinned", "save_input_example", "write_environment"]

REQUIREMENTS_FILE = "requirements.txt"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_FILE = "conda.yaml"
INPUT_EXAMPLE_FILE = "input_example.json"
SERVING_INPUT_FILE = "serving_input_example.json"


def pinned(distribution: str) -> str:
    """``name==installed version``, or the bare name when it is not installed."""
    version = pinned_version(distribution)
    return f"{distribution}=={version}" if version else distribution


def write_environment(
    directory: Path,
    distributions: Sequence[str],
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
) -> None:
    """Pinned requirements of the flavor (or the caller's own list), plus MLflow's two environment files."""
    if pip_requirements is not None:
        requirements = list(pip_requirements)
    else:
        requirements = [pinned("flowtrack"), *(pinned(name) for name in distributions)]
    requirements += list(extra_pip_requirements or ())
    (directory / REQUIREMENTS_FILE).write_text("\n".join(requirements) + "\n", encoding="utf-8")
    python_env = {
        "python": platform.python_version(),
        "build_dependencies": ["pip", "setuptools", "wheel"],
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    (directory / PYTHON_ENV_FILE).write_text(dump_yaml(python_env), encoding="utf-8")
    conda = {
        "name": "flowtrack-env",
        "channels": ["conda-forge"],
        "dependencies": [f"python={platform.python_version()}", "pip", {"pip": requirements}],
    }
    (directory / CONDA_FILE).write_text(dump_yaml(conda), encoding="utf-8")


def add_pyfunc_flavor(model: Model, loader_module: str, **settings: Any) -> None:
    """The generic flavor: ``loader_module`` is MLflow's module name, which flowtrack maps to its own."""
    model.add_flavor(
        PYFUNC_FLAVOR,
        loader_module=loader_module,
        python_version=platform.python_version(),
        env={"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE},
        **settings,
    )


def save_input_example(model: Model, directory: Path, example: Any) -> Any:
    """Write the example as MLflow does (DataFrame-like in ``split`` orient, arrays as ``inputs``); the
    example as the model will see it (a DataFrame or array) is returned for signature inference."""
    import numpy as np
    import pandas as pd

    from flowtrack.models.enforcement import to_frame

    if isinstance(example, np.ndarray) and example.ndim != 1:
        payload: dict[str, Any] = {"inputs": example.tolist()}
        (directory / INPUT_EXAMPLE_FILE).write_text(json.dumps(payload), encoding="utf-8")
        (directory / SERVING_INPUT_FILE).write_text(json.dumps(payload, indent=2), encoding="utf-8")
        model.saved_input_example_info = {
            "artifact_path": INPUT_EXAMPLE_FILE, "serving_input_path": SERVING_INPUT_FILE, "type": "ndarray",
            "format": "tf-serving",
        }  # fmt: skip
        return example
    frame = to_frame(example)
    frame.columns = [str(column) for column in frame.columns]
    split = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    (directory / INPUT_EXAMPLE_FILE).write_text(json.dumps(split), encoding="utf-8")
    serving = {"dataframe_split": split}
    (directory / SERVING_INPUT_FILE).write_text(json.dumps(serving, indent=2), encoding="utf-8")
    model.saved_input_example_info = {
        "artifact_path": INPUT_EXAMPLE_FILE, "serving_input_path": SERVING_INPUT_FILE, "type": "dataframe",
        "pandas_orient": "split",
    }  # fmt: skip
    return pd.DataFrame(frame)


def load_input_example(directory: Path, model: Model) -> Any:
    """The saved example as a DataFrame (or array), or None when the model has none."""
    info = model.saved_input_example_info
    if not info:
        return None
    data = json.loads((directory / info["artifact_path"]).read_text(encoding="utf-8"))
    if info.get("type") == "ndarray":
        import numpy as np

        return np.asarray(data["inputs"])
    import pandas as pd

    return pd.DataFrame(data["data"], columns=data["columns"])
