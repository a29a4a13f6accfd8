"""``scripts/unasync.py``: the sync halves are made from the async ones, and kept current."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "unasync.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("unasync_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


unasync = _load()


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A project folder holding the modules the script writes, and the ruff settings."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for twin in unasync.TWINS:
        target = tmp_path / twin.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / twin.path, target)
    return tmp_path


def test_every_generated_sync_half_is_current() -> None:
    done = _run("--check")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_hand_edited_sync_half_is_named_and_written_anew(copy: Path) -> None:
    module = copy / "src/wechat_material/draft.py"
    made = module.read_text(encoding="utf-8")
    assert made.count("def count(self) -> int:") == 2  # async source, then the sync half
    before, _, after = made.rpartition("def count(self) -> int:")
    module.write_text(before + "def count(self) -> float:" + after)
    edited = module.read_text(encoding="utf-8")

    checked = _run("--check", "--root", copy)
    assert checked.returncode == 1
    assert "src/wechat_material/draft.py is stale: run python scripts/unasync.py" in checked.stderr
    assert "material.py" not in checked.stderr
    assert module.read_text(encoding="utf-8") == edited  # --check writes nothing

    assert _run("--root", copy).returncode == 0
    assert module.read_text(encoding="utf-8") == made
    assert _run("--check", "--root", copy).returncode == 0


def test_an_edit_to_the_async_half_reaches_the_sync_half(copy: Path) -> None:
    module = copy / "src/wechat_material/material.py"
    text = module.read_text(encoding="utf-8")
    source_end = text.index(unasync.BEGIN)
    alias = "\n    delete = del_material\n\n\n"
    module.write_text(text[:source_end].rstrip("\n") + "\n" + alias + text[source_end:])

    assert _run("--check", "--root", copy).returncode == 1
    assert _run("--root", copy).returncode == 0
    written = module.read_text(encoding="utf-8")
    generated = written[written.index(unasync.BEGIN) :]
    assert "    delete = del_material\n" in generated
    namespace: dict[str, object] = {}
    exec(compile(written, str(module), "exec"), namespace)  # noqa: S102 (our own module)
    sync_api = namespace["MaterialAPI"]
    assert sync_api.delete is sync_api.del_material  # type: ignore[attr-defined]


def test_nothing_is_written_when_one_module_cannot_be_made(copy: Path) -> None:
    material = copy / "src/wechat_material/material.py"
    admin = copy / "src/wechat_material/sandbox/admin.py"
    admin_text = admin.read_text(encoding="utf-8")
    admin.write_text(admin_text.replace("async def now(self)", "async def now_(self)", 1))
    # A line the rules cannot make sync: the run stops and says where.
    text = material.read_text(encoding="utf-8")
    material.write_text(
        text.replace(
            "return await self._driver.call(calls.get_material_count())",
            "return await(self._driver.call(calls.get_material_count()))",
            1,
        )
    )
    done = _run("--root", copy)
    assert done.returncode == 2
    assert "src/wechat_material/material.py: line" in done.stderr
    assert "add a rule to scripts/unasync.py" in done.stderr
    assert "Traceback" not in done.stderr
    assert "def now(self)" in admin.read_text(encoding="utf-8")  # admin.py untouched


def test_broken_markers_are_refused(copy: Path) -> None:
    module = copy / "src/wechat_material/publish.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace(unasync.END, "# the end", 1))
    done = _run("--check", "--root", copy)
    assert done.returncode == 2
    assert "publish.py: the generated block's markers are broken" in done.stderr


def test_each_module_says_its_sync_half_is_generated_and_from_what() -> None:
    for twin in unasync.TWINS:
        text = (ROOT / twin.path).read_text(encoding="utf-8")
        header = f"{unasync.BEGIN}{', '.join(twin.sources)}{unasync.BEGIN_TAIL}"
        assert text.count(header) == 1, twin.path
        assert text.index(header) < text.index(unasync.END)


@pytest.mark.parametrize(
    ("line", "sync"),
    [
        ("async def get(self) -> str:", "def get(self) -> str:"),
        ("return await self._driver.call(call)", "return self._driver.call(call)"),
        ("async with self._lock:", "with self._lock:"),
        ("async for chunk in reply.aiter_bytes():", "for chunk in reply.iter_bytes():"),
        ("async def __aenter__(self) -> AsyncAdmin:", "def __enter__(self) -> Admin:"),
        ("async def __aexit__(self, *exc: object):", "def __exit__(self, *exc: object):"),
        ("await self._client.aclose()", "self._client.close()"),
        ("def __init__(self, driver: AsyncDriver):", "def __init__(self, driver: SyncDriver):"),
        (") -> AsyncIterator[NewsItem]:", ") -> Iterator[NewsItem]:"),
        ("redis: redis.asyncio.Redis,", "redis: redis.Redis,"),
        ("client: httpx.AsyncClient | None = None,", "client: httpx.Client | None = None,"),
        ("await anyio.sleep(1)", "time.sleep(1)"),
        ("await asyncio.sleep(delay)", "time.sleep(delay)"),
        ("self._guard = asyncio.Lock()", "self._guard = threading.Lock()"),
        ("stack = AsyncExitStack()", "stack = ExitStack()"),
        ("await stack.enter_async_context(lock)", "stack.enter_context(lock)"),
        ("Calls of :class:`~pkg.AsyncWeChatClient`.", "Calls of :class:`~pkg.WeChatClient`."),
        # Whole words only: names that merely contain the words are kept.
        ("self.awaited = asyncio_mode", "self.awaited = asyncio_mode"),
        ("reply = self.Asynchronous", "reply = self.Asynchronous"),
    ],
)  # fmt: skip
def test_the_rules(line: str, sync: str) -> None:
    assert unasync.unasync_line(line) == sync


def test_a_module_replacement_comes_before_the_rules() -> None:
    replace = (("over ASGI it works in-process", "it needs a socket"),)
    line = "    Admin of the AsyncSandbox; over ASGI it works in-process."
    assert unasync.unasync_line(line, replace) == "    Admin of the Sandbox; it needs a socket."


def test_a_function_is_made_sync_as_a_class_is(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    path = tmp_path / "src/wechat_material/naps.py"
    path.parent.mkdir(parents=True)
    text = (
        "import time\n\nimport anyio\n\n\n"
        "async def _nap_async(seconds: float) -> float:\n"
        '    """Sleep, then say how long."""\n'
        "    await anyio.sleep(seconds)\n"
        "    return seconds\n"
    )
    twin = unasync.Twin(path.name, ("_nap_async",), replace=(("_nap_async", "_nap_sync"),))
    made = unasync.generate(text, twin, path)
    assert made.startswith(text)  # the async source stays as it was
    generated = made[made.index(unasync.BEGIN) :]
    assert "def _nap_sync(seconds: float) -> float:\n" in generated
    assert "    time.sleep(seconds)\n" in generated
    namespace: dict[str, object] = {}
    exec(compile(made, str(path), "exec"), namespace)  # noqa: S102 (text written above)
    nap = namespace["_nap_sync"]
    assert nap(0) == 0  # type: ignore[operator]
    assert nap.__doc__ == "Sleep, then say how long."  # type: ignore[attr-defined]

    gone = unasync.Twin(path.name, ("_gone_async",))
    with pytest.raises(unasync.UnasyncError, match="no top-level class or function _gone_async"):
        unasync.generate(text, gone, path)
