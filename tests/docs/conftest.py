"""The documentation site, built once per session the way ``python3 run.py docs`` builds it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
MKDOCS = Path(sys.executable).parent / "mkdocs"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here) and "site" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.slow)


def offline() -> list[str]:
    """A prefix that runs a command with no network at all, where this machine allows it."""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        return []
    # A container may refuse new namespaces even to root: then build as things are.
    probe = subprocess.run([unshare, "--net", "true"], capture_output=True, check=False)
    return [unshare, "--net"] if probe.returncode == 0 else []


def build(
    config: Path, site_dir: Path, *, language: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``mkdocs build --strict`` of ``config`` into ``site_dir``, without network when possible.

    ``language`` builds that language alone.
    """
    only = {"WXM_DOCS_LANGUAGE": language} if language else {}
    return subprocess.run(
        [
            *offline(),
            str(MKDOCS),
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site_dir),
        ],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "NO_MKDOCS_2_WARNING": "1",
            "PATH": "/usr/bin:/bin",
            "HOME": str(site_dir.parent),
            **only,
        },
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site (Chinese at its root, English under en/)."""
    target = tmp_path_factory.mktemp("docs") / "site"
    result = build(ROOT / "mkdocs.yml", target)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def load_hook() -> ModuleType:
    """The build's hook module (docs/hooks/wxm_docs.py), for its generators."""
    spec = importlib.util.spec_from_file_location(
        "wxm_docs", ROOT / "docs" / "hooks" / "wxm_docs.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
