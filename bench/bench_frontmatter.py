"""How long does a 1 MB front matter block take to read? Goal: under 1 s each.

Run: .venv/bin/python bench/bench_frontmatter.py [--size 1048576] [--repeat 3]

The blocks that made the old line parser slow or noisy, each about ``--size``
bytes: one title line padded with spaces, hundreds of thousands of unknown
keys (read and reported in one warning), one long quoted digest, and a deep
flow list under an unknown key. Each is split and parsed as ``wxm publish``
does (:func:`wechat_material.articles.frontmatter.parse`); the best of
``--repeat`` runs counts.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from wechat_material.articles import frontmatter

GOAL_SECONDS = 1.0


def spaces(size: int) -> str:
    return "title: x" + " " * size + "y\n"


def unknown_keys(size: int) -> str:
    lines, total, i = [], 0, 0
    while total < size:
        line = f"k{i}: v\n"
        lines.append(line)
        total += len(line)
        i += 1
    return "title: t\n" + "".join(lines)


def long_digest(size: int) -> str:
    return 'title: t\ndigest: "' + "字" * (size // 3) + '"\n'


def flow_list(size: int) -> str:
    return "title: t\ntags: [" + ", ".join("a" for _ in range(size // 3)) + "]\n"


CASES: dict[str, Callable[[int], str]] = {
    "title padded with spaces": spaces,
    "unknown keys": unknown_keys,
    "long quoted digest": long_digest,
    "flow list": flow_list,
}


def best_of(text: str, repeat: int) -> tuple[float, int]:
    times, warnings = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        parts = frontmatter.split(text, "post.md")
        fields = frontmatter.parse(parts.lines, "post.md")
        times.append(time.perf_counter() - started)
        warnings = len(fields.warnings)
    return min(times), warnings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    goal = f"goal < {GOAL_SECONDS:g} s"
    print(f"{'front matter':<28}{'bytes':>10}{'seconds':>10}{'warnings':>10}  {goal}")
    for name, make in CASES.items():
        text = f"---\n{make(args.size)}---\nbody\n"
        seconds, warnings = best_of(text, args.repeat)
        verdict = "met" if seconds < GOAL_SECONDS else "MISSED"
        print(f"{name:<28}{len(text.encode()):>10,}{seconds:>10.3f}{warnings:>10}  {verdict}")


if __name__ == "__main__":
    main()
