"""``pip install wechat-material`` with no extra: the SDK works, the rest says what to install.

One virtual environment with the package and its base dependencies only (plus
pytest), built once for the module; the sandbox it talks to runs here, in the
full environment, on a real socket.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import venv
from pathlib import Path

import pytest

from wechat_material.sandbox import DEMO_APPID, DEMO_SECRET, run_in_thread

ROOT = Path(__file__).resolve().parent.parent
JPEG = ROOT / "tests" / "media" / "image.jpg"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# What the extras bring, and none of it may come with the base install.
EXTRA_DISTRIBUTIONS = {
    "starlette",
    "uvicorn",
    "python-multipart",
    "redis",
    "typer",
    "rich",
    "click",
    "platformdirs",
    "tomli-w",
}


class BaseVenv:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / ("Scripts" if os.name == "nt" else "bin")
        self.python = self.bin / ("python.exe" if os.name == "nt" else "python")

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
        env.pop("VIRTUAL_ENV", None)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return subprocess.run(
            [str(arg) for arg in args],
            cwd=cwd or self.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def script(self, code: str, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(self.python, "-c", textwrap.dedent(code), *args)

    def pip(self, *args: str | Path) -> None:
        done = self.run(self.python, "-m", "pip", "--disable-pip-version-check", *args)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> BaseVenv:
    where = BaseVenv(tmp_path_factory.mktemp("base-install") / "venv")
    venv.EnvBuilder(with_pip=True).create(where.path)
    where.pip("install", "--quiet", "-e", ROOT)
    # The test tool the user brings; not a dependency of the package.
    where.pip("install", "--quiet", "pytest")
    return where


def installed(base_venv: BaseVenv) -> set[str]:
    listed = base_venv.run(base_venv.python, "-m", "pip", "list", "--format=json")
    assert listed.returncode == 0, listed.stderr
    return {entry["name"].lower().replace("_", "-") for entry in json.loads(listed.stdout)}


def test_the_base_install_brings_no_extra(base_venv: BaseVenv) -> None:
    present = installed(base_venv)
    assert {"wechat-material", "httpx", "pydantic", "mutagen"} <= present
    assert not present & EXTRA_DISTRIBUTIONS


def test_the_sdk_talks_to_a_sandbox_over_http(base_venv: BaseVenv) -> None:
    with run_in_thread() as sandbox:
        done = base_venv.script(
            """
            import sys
            from wechat_material import MaterialType, WeChatClient

            appid, secret, url, image = sys.argv[1:]
            with WeChatClient(appid, secret, base_url=url) as client:
                uploaded = client.material.add_material(MaterialType.IMAGE, image)
                count = client.material.get_material_count()
            print(bool(uploaded.media_id), count.image_count)
            """,
            DEMO_APPID,
            DEMO_SECRET,
            sandbox.base_url,
            str(JPEG),
        )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "1"]


def one_line_error(base_venv: BaseVenv, statement: str) -> str:
    done = base_venv.script(
        f"""
        try:
            {statement}
        except ImportError as error:
            print(type(error).__name__, error, sep=": ")
        """
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_importing_the_sandbox_names_the_sandbox_extra(base_venv: BaseVenv) -> None:
    out = one_line_error(base_venv, "import wechat_material.sandbox")
    assert out.startswith("MissingExtraError: the sandbox needs")
    assert out.endswith("pip install 'wechat-material[sandbox]'\n")
    assert out.count("\n") == 1


def test_the_redis_store_names_the_redis_extra(base_venv: BaseVenv) -> None:
    # The other stores stay usable; only the Redis one needs the extra.
    out = one_line_error(
        base_venv,
        "from wechat_material.tokens import FileTokenStore, MemoryTokenStore, RedisTokenStore",
    )
    assert out.startswith("MissingExtraError: a Redis token store needs")
    assert out.endswith("pip install 'wechat-material[redis]'\n")


def test_wxm_says_which_extra_to_install_and_exits_1(base_venv: BaseVenv) -> None:
    done = base_venv.run(base_venv.bin / "wxm", "--help")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("error: the wxm command needs")
    assert "pip install 'wechat-material[cli]'" in done.stderr


def test_pytest_runs_with_the_plugin_and_its_fixtures_say_what_is_missing(
    base_venv: BaseVenv, tmp_path: Path
) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            def test_without_the_fixtures():
                assert 1 + 1 == 2

            def test_with_a_fixture(wechat_client):
                pass
            """
        )
    )
    done = base_venv.run(base_venv.python, "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path)
    report = done.stdout + done.stderr
    assert done.returncode == 1, report
    assert "1 passed" in report
    assert "1 error" in report
    assert "pip install 'wechat-material[sandbox]'" in report
    assert "Traceback" not in report
