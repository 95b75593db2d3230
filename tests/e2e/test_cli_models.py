"""`flowtrack models …` against the test's embedded store (its FLOWTRACK_HOME database), plus one run of the
installed ``flowtrack`` script in a subprocess against an explicit ``--tracking-uri``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from flowtrack.cli.main import app
from flowtrack.client import Client
from flowtrack.config.settings import load_settings


def store() -> Client:
    return Client(load_settings().resolved_tracking_uri())


def flowtrack(*args: str, input_text: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"}, input=input_text)


def assert_user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_register_alias_transition_list_and_describe() -> None:
    client = store()
    run = client.create_run(client.create_experiment("cli-models"))
    registered = flowtrack(
        "models", "register", f"runs:/{run.info.run_id}/model", "--name", "taxi", "-t", "a=b"
    )
    assert registered.exit_code == 0, registered.output
    assert "Registered taxi version 1" in registered.stdout
    assert flowtrack("models", "register", "s3://bucket/taxi", "-n", "taxi", "-d", "second").exit_code == 0

    assert flowtrack("models", "alias", "taxi", "production", "2").exit_code == 0
    moved = flowtrack("models", "transition", "taxi", "1", "staging")
    assert moved.exit_code == 0
    assert "taxi version 1 → Staging" in moved.stdout
    assert client.get_model_version_by_alias("taxi", "production").version == "2"
    assert client.get_model_version("taxi", 1).current_stage == "Staging"
    assert client.get_model_version("taxi", 1).tags == {"a": "b"}

    listed = flowtrack("models", "list")
    assert listed.exit_code == 0
    assert "taxi" in listed.stdout
    assert "production→v2" in listed.stdout
    described = flowtrack("models", "describe", "taxi")
    assert described.exit_code == 0
    assert "Staging" in described.stdout
    assert run.info.run_id[:8] in described.stdout
    assert "s3://bucket/taxi" in described.stdout

    details = json.loads(flowtrack("models", "describe", "taxi", "--output", "json").stdout)
    assert details["aliases"] == {"production": "2"}
    assert [(v["version"], v["current_stage"]) for v in details["versions"]] == [
        ("2", "None"),
        ("1", "Staging"),
    ]
    assert details["versions"][1]["run_id"] == run.info.run_id
    listed_json = json.loads(flowtrack("models", "list", "-f", "name LIKE 'ta%'", "-o", "json").stdout)
    assert [model["name"] for model in listed_json] == ["taxi"]


def test_alias_delete_and_delete_versions_and_models() -> None:
    client = store()
    client.create_registered_model("m")
    for index in range(2):
        client.create_model_version("m", f"s3://bucket/m/{index}")
    client.set_registered_model_alias("m", "champion", 1)
    assert flowtrack("models", "alias", "m", "champion", "--delete").exit_code == 0
    assert client.get_registered_model("m").aliases == {}

    assert flowtrack("models", "delete", "m", "--version", "1").exit_code == 0
    assert [v.version for v in client.search_model_versions("name = 'm'")] == ["2"]
    refused = flowtrack("models", "delete", "m", input_text="n\n")
    assert_user_error(refused, "nothing deleted")
    assert client.get_registered_model("m").name == "m"
    assert flowtrack("models", "delete", "m", "--yes").exit_code == 0
    assert list(client.search_registered_models()) == []
    assert "No registered models" in flowtrack("models", "list").stdout


def test_bad_input_is_named_without_a_traceback() -> None:
    client = store()
    client.create_registered_model("m")
    client.create_model_version("m", "s3://bucket/m")
    assert_user_error(flowtrack("models", "describe", "missing"), "missing", "not found")
    assert_user_error(flowtrack("models", "transition", "m", "1", "Live"), "stage", "Live")
    assert_user_error(flowtrack("models", "alias", "m", "latest", "1"), "alias", "reserved")
    assert_user_error(flowtrack("models", "alias", "m", "champion"), "missing VERSION")
    assert_user_error(flowtrack("models", "alias", "m", "champion", "7"), "version=7")
    assert_user_error(flowtrack("models", "list", "--filter", "version_number > 1"), "unknown attribute")
    assert_user_error(flowtrack("models", "register", "s3://x", "--name", ""), "name")
    assert_user_error(flowtrack("models", "register", "s3://x", "-n", "m", "-t", "novalue"), "KEY=VALUE")
    assert client.get_model_version("m", 1).aliases == ()
    assert [v.version for v in client.search_model_versions("name = 'm'")] == ["1"]


def test_the_installed_script_with_an_explicit_tracking_uri(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'models.db'}"
    script = [sys.executable, "-m", "flowtrack"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [*script, "models", *args, "--tracking-uri", uri]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    registered = run("register", "s3://bucket/model", "--name", "sub", "--output", "json")
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["version"] == "1"
    assert run("alias", "sub", "champion", "1").returncode == 0
    assert Client(uri).get_model_version_by_alias("sub", "champion").version == "1"
    missing = run("describe", "nope")
    assert missing.returncode == 1
    assert "not found" in missing.stderr


def test_against_a_server(sqlite_tracking_server: str) -> None:
    url = sqlite_tracking_server
    registered = flowtrack("models", "register", "s3://bucket/served", "-n", "served", "--tracking-uri", url)
    assert registered.exit_code == 0, registered.output
    assert "Registered served version 1 (s3://bucket/served)" in registered.stdout
    assert flowtrack("models", "alias", "served", "live", "1", "--tracking-uri", url).exit_code == 0
    listed = json.loads(flowtrack("models", "list", "--tracking-uri", url, "-o", "json").stdout)
    assert [(m["name"], m["aliases"]) for m in listed] == [("served", {"live": "1"})]
    assert Client(url).get_model_version_download_uri("served", 1) == "s3://bucket/served"
    assert_user_error(flowtrack("models", "describe", "nope", "--tracking-uri", url), "nope")
