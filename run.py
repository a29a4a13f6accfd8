#!/usr/bin/env python3
"""Set up and run wechat-material from a fresh checkout, needing only Python 3.11+.

    python3 run.py demo         # the demo, on an embedded sandbox (no WeChat account needed)
    python3 run.py test         # the whole test suite (installs redis-server and chromium
                                # if missing)
    python3 run.py test --fast  # the quick loop: no slow or redis tests, no redis-server needed
    python3 run.py setup        # only create .venv and install the project (what CI does first)
    python3 run.py lowest       # the tests on the oldest dependencies pyproject.toml allows
    python3 run.py mutate       # mutation testing of the core modules (slow; docs/testing.en.md)
    python3 run.py mutate --group cli   # ... of the CLI, the backup, articles or sandbox HTTP
    python3 run.py docs         # the documentation site, built strictly into site/
    python3 run.py docs --serve # the same, served on http://127.0.0.1:8000/ while you edit

They create ``.venv`` beside this file and install the project into it the
first time; later runs reuse it. ``demo`` installs only what the demo uses (the
``cli`` and ``sandbox`` extras: seconds with pip's cache warm); ``test`` and
``setup`` install every extra and the development and documentation tools
(``all,dev,docs``), adding them to a ``.venv`` that ``demo`` made. ``lowest``
uses a venv of its own, ``.venv-lowest``, where each dependency is pinned to the lower bound
pyproject.toml gives it. Extra arguments go to the command
(``python3 run.py test -k sandbox``, ``python3 run.py test --fast tests/cli``).

``--fast`` leaves out the tests marked ``slow`` (those that start ``wxm``,
python or several processes) and ``redis`` (those that need a redis-server),
and spreads the rest over one worker per core (pytest-xdist):
``pytest -m "not slow and not redis" -n auto``. The full suite, what CI runs,
stays in one process.

``mutate`` runs mutmut with ``[tool.mutmut]`` from pyproject.toml, at the lowest
CPU priority, then prints the score of each module. Mutant names narrow it
(``python3 run.py mutate "wechat_material._redact.*"``); ``--max-children N``
sets how many mutants run at once (default: half the cores). Results are kept
in ``mutants/``, so a second run only tries what changed. ``--group NAME``
mutates one of the groups of ``[tool.mutmut.groups]`` instead (the backup,
``articles``, ``cli``, ``sandbox-http``), with its own tests, in
``mutants/groups/NAME/``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOWEST_VENV = ROOT / ".venv-lowest"
FAST = "--fast"
FAST_MARKERS = "not slow and not redis"
DEMO_EXTRAS = "cli,sandbox"  # all that `wxm demo` imports
FULL_EXTRAS = "all,dev,docs"  # what the tests need, the documentation site included
# The tests that prove the lower bounds: all but those of the quick start and the
# installs, which make environments of their own.
LOWEST_TESTS = [
    "tests/sandbox",
    "tests/sdk",
    "tests/tokens",
    "tests/core",
    "tests/plugin",
    "tests/cli",
    "tests/articles",
]


def bin_dir(venv_dir: Path) -> Path:
    return venv_dir / ("Scripts" if os.name == "nt" else "bin")


def python_of(venv_dir: Path) -> Path:
    return bin_dir(venv_dir) / ("python.exe" if os.name == "nt" else "python")


CHROMIUM = "/usr/bin/chromium"


def say(text: str) -> None:
    print(f"run.py: {text}", file=sys.stderr, flush=True)


def ensure_venv(venv_dir: Path = VENV, *, lowest: bool = False, extras: str = FULL_EXTRAS) -> Path:
    """Create a virtual environment and install the project with ``extras``, once per
    pyproject change (an environment with every extra serves any command).

    With ``lowest``, every runtime dependency is pinned to its lower bound.
    Returns the environment's Python.
    """
    if sys.version_info < (3, 11):
        sys.exit(f"run.py: Python 3.11 or newer is needed (this is {sys.version.split()[0]}).")
    python = python_of(venv_dir)
    stamp = venv_dir / ".installed-from"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if python.exists() and stamp.exists():
        done = stamp.read_text().split()
        # "DIGEST" alone: a stamp from before the demo's smaller install, with every extra.
        installed = done[1] if len(done) > 1 else FULL_EXTRAS
        if done[:1] == [digest] and installed in (extras, FULL_EXTRAS):
            return python
    if not python.exists() or lowest:
        # The lowest versions are made afresh: what newer bounds left behind must go.
        say(f"creating {venv_dir.relative_to(ROOT)} ...")
        venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    pins: list[str] = []
    if lowest:
        constraints = venv_dir / "lowest-constraints.txt"
        constraints.write_text("".join(f"{pin}\n" for pin in lowest_pins()))
        pins = ["--constraint", str(constraints)]
        say("pinned: " + ", ".join(lowest_pins()))
    what = "what the demo needs" if extras == DEMO_EXTRAS else "every extra and the dev tools"
    say(f"installing wechat-material with {what} ({extras}) into {venv_dir.name} ...")
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *pins,
            "-e",
            f"{ROOT}[{extras}]",
        ],
        check=True,
    )
    stamp.write_text(f"{digest} {extras}\n")
    return python


def lowest_pins() -> list[str]:
    """``name==lower-bound`` for every runtime dependency and extra in pyproject.toml.

    The test and documentation tools (the dev and docs extras) are left free: they
    are not what users install.
    """
    import tomllib  # here, not above: run.py must reach its version check on old Pythons

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra, listed in project["optional-dependencies"].items():
        if extra not in {"dev", "docs"}:
            requirements += listed
    pins: dict[str, str] = {}
    for requirement in requirements:
        bound = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([^\s,;]+)", requirement)
        if bound and bound[1] != project["name"]:
            pins[bound[1].lower()] = bound[2]
    return [f"{name}=={version}" for name, version in sorted(pins.items())]


def apt_install(*packages: str) -> bool:
    """Install Debian packages when this is a root shell with apt-get; False otherwise."""
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    say(f"installing {' '.join(packages)} with apt-get ...")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    return True


def ensure_browser() -> None:
    """The console's browser tests drive Debian's chromium; the CJK fonts make Chinese
    text render in its screenshots. Without them those tests are skipped (outside CI)."""
    if os.path.exists(CHROMIUM):
        return
    if not apt_install("chromium", "fonts-noto-cjk"):
        say(f"no {CHROMIUM}: the console's browser tests will be skipped")


def ensure_redis_server() -> None:
    """The Redis token-store tests need a real redis-server binary."""
    if shutil.which("redis-server") or os.environ.get("REDIS_URL"):
        return
    if apt_install("redis-server"):
        return
    sys.exit(
        "run.py: the tests need redis-server. Install it (e.g. `sudo apt-get install "
        "redis-server` or `brew install redis`), or set REDIS_URL to a server whose "
        "database 15 may be wiped."
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "setup", "lowest", "mutate", "docs"}:
        print(__doc__, file=sys.stderr)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "lowest":
        python = ensure_venv(LOWEST_VENV, lowest=True)
        named_paths = any((ROOT / arg.split("::")[0]).exists() for arg in rest)
        return run_tests(python, rest if named_paths else [*LOWEST_TESTS, *rest])
    if command == "demo":
        ensure_venv(extras=DEMO_EXTRAS)
        return subprocess.call([str(bin_dir(VENV) / "wxm"), "demo", *rest])
    python = ensure_venv()
    if command == "setup":
        return 0
    if command == "mutate":
        return run_mutmut(rest)
    if command == "docs":
        return build_docs(rest)
    return run_tests(python, rest)


def run_tests(python: Path, arguments: list[str]) -> int:
    if FAST in arguments:
        # One worker per core: the quick loop is for a developer's idle machine.
        arguments = ["-m", FAST_MARKERS, "-n", "auto"] + [a for a in arguments if a != FAST]
    else:
        ensure_redis_server()
        ensure_browser()
    code = subprocess.call([str(python), "-m", "pytest", *arguments], cwd=ROOT)
    if code == 5:  # pytest ran no test at all: that is a failure, not a pass
        say("pytest collected no tests")
        return 1
    return code


def build_docs(arguments: list[str]) -> int:
    """The documentation site: built strictly into site/, or served on loopback with --serve.

    Strict: a broken link or anchor, a page missing in one language or an unresolved
    cross-reference stops the build. Nothing is fetched from the network.
    """
    mkdocs = str(bin_dir(VENV) / "mkdocs")
    if "--serve" in arguments:
        rest = [a for a in arguments if a != "--serve"]
        return subprocess.call(
            [mkdocs, "serve", "--strict", "-a", "127.0.0.1:8000", *rest], cwd=ROOT
        )
    return subprocess.call([mkdocs, "build", "--strict", *arguments], cwd=ROOT)


def run_mutmut(arguments: list[str]) -> int:
    """Mutation testing: slow (hours for every core module), so never part of ``test``.

    ``--group NAME`` mutates one of the ``[tool.mutmut.groups]`` of pyproject.toml
    instead of the core modules, with that group's tests, in a directory of its own.
    """
    ensure_redis_server()
    arguments, group = take_option(arguments, "--group")
    if not any(arg.startswith("--max-children") for arg in arguments):
        arguments = ["--max-children", str(max(1, (os.cpu_count() or 2) // 2)), *arguments]
    workdir = ROOT if group is None else mutation_group_dir(group)
    mutmut = str(bin_dir(VENV) / "mutmut")
    # Lowest priority: a run takes long enough that the machine should stay usable.
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    code = subprocess.call([*nice, mutmut, "run", *arguments], cwd=workdir)
    print_mutation_scores(workdir / "mutants")
    return code


def take_option(arguments: list[str], name: str) -> tuple[list[str], str | None]:
    """``arguments`` without ``name VALUE`` (or ``name=VALUE``), and that value."""
    rest: list[str] = []
    value: str | None = None
    words = iter(arguments)
    for word in words:
        if word == name:
            value = next(words, None)
            if value is None:
                sys.exit(f"run.py: {name} needs a value")
        elif word.startswith(name + "="):
            value = word.split("=", 1)[1]
        else:
            rest.append(word)
    return rest, value


def mutation_group_dir(group: str) -> Path:
    """A directory where mutmut sees the group's settings as its own ``[tool.mutmut]``.

    mutmut reads its settings from the pyproject.toml of the directory it runs in and
    keeps its mutants beside it, so each group gets mutants/groups/NAME/: links to the
    sources and tests, and a copy of pyproject.toml whose ``[tool.mutmut]`` is the
    group's. The results of one group never mix with another's or the core's.
    """
    import json
    import tomllib

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    settings = tomllib.loads(text)["tool"]["mutmut"]
    groups = settings.get("groups", {})
    if group not in groups:
        sys.exit(
            f"run.py: no mutation group {group!r}; the groups are: {', '.join(sorted(groups))}"
        )
    chosen = groups[group]
    merged = {key: value for key, value in settings.items() if key != "groups"}
    merged["only_mutate"] = chosen["only_mutate"]
    merged["pytest_add_cli_args_test_selection"] = chosen["tests"]
    # git names files from the top of the checkout, not from this directory.
    merged["use_git_change_detection"] = False
    table = "[tool.mutmut]\n" + "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in merged.items()
    )
    workdir = ROOT / "mutants" / "groups" / group
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "pyproject.toml").write_text(replace_mutmut_table(text, table), encoding="utf-8")
    for name in ["src", "tests", *settings.get("also_copy", [])]:
        link = workdir / name.rstrip("/")
        if not link.is_symlink():
            link.symlink_to(ROOT / name.rstrip("/"))
    return workdir


def replace_mutmut_table(text: str, table: str) -> str:
    """pyproject.toml's text with ``[tool.mutmut]`` and its sub-tables replaced by ``table``."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        header = re.match(r"\s*\[+\s*([^\]]+?)\s*\]", line)
        if header:
            name = header.group(1).replace('"', "")
            starts = name == "tool.mutmut" or name.startswith("tool.mutmut.")
            if starts and not inside:
                kept.append(table)
            inside = starts
        if not inside:
            kept.append(line)
    return "".join(kept)


# mutmut's exit codes per mutant: pytest's own (1 failed, 3 internal error) and
# its timeouts (36, SIGXCPU as -24/24/152, 255) kill; 0 survives; 5 and 33 mean no
# test reached the change (a survivor too); 2 and 34 were not tried.
KILLED = {1, 3, 36, -24, 24, 152, 255}
NOT_TRIED = {None, 2, 34}


def print_mutation_scores(mutants: Path | None = None) -> None:
    """Killed / tried mutants of each module, from the results mutmut keeps in mutants/."""
    import json  # here, like tomllib: run.py must reach its version check on old Pythons

    mutants = ROOT / "mutants" if mutants is None else mutants
    for meta in sorted((mutants / "src").rglob("*.py.meta")):
        exits = json.loads(meta.read_text()).get("exit_code_by_key", {}).values()
        tried = [code for code in exits if code not in NOT_TRIED]
        if not tried:
            continue
        killed = sum(1 for code in tried if code in KILLED)
        name = meta.relative_to(mutants).as_posix().removesuffix(".meta")
        say(f"{name}: {killed}/{len(tried)} killed ({100 * killed / len(tried):.1f} %)")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
