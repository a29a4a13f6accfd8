"""Characters of article HTML per character of visible text, for each example post and theme.

Run: .venv/bin/python bench/bench_render.py [--baseline REF] [--wenyan PREFIX]

WeChat refuses content of 20,000 characters or more, counting the HTML with its
inline styles, so the characters spent on markup decide how long a post can be.
For every post in ``docs/examples/`` and every theme this prints the HTML's
length and its ratio to the visible text (the text a reader sees, formulas drawn
as SVG excepted), now and as rendered by the commit ``--baseline`` (default: the last
one before the styles were compacted), checked out from git into a temporary
folder. Goals: at most half of the baseline, and no more than wenyan.

wenyan (the best-known Markdown-to-WeChat tool) is run when ``--wenyan`` names
an npm prefix holding ``@wenyan-md/core``
(``npm install --prefix /tmp/wenyan @wenyan-md/core jsdom formdata-node
form-data-encoder``), in its default theme; otherwise its column says "not
installed".
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from html import unescape
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "examples"
THEMES = ("default", "ink", "ocean")
BEFORE_COMPACT = "f7252d3"  # the last commit before the styles were compacted
GOAL_SHARE = 0.5

# Renders each post given on the command line in every theme: {"post|theme": html}.
RENDER_SCRIPT = f"""
import json, sys
from wechat_material.articles import render
out = {{}}
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    for theme in {THEMES!r}:
        out[path + "|" + theme] = render(text, theme=theme).html
print(json.dumps(out))
"""

WENYAN_SCRIPT = """
const [wrapper, file] = process.argv.slice(1);
const { prepareRenderContext } = await import(wrapper);
const { readFileSync } = await import("node:fs");
const text = readFileSync(file, "utf8");
const options = { theme: "default", highlight: "solarized-light", macStyle: false, footnote: true };
const context = await prepareRenderContext(text, options, async (content) => ({ content }));
process.stdout.write(context.gzhContent.content);
"""


def visible_text(html: str) -> str:
    """What a reader reads: the text of the HTML without drawn formulas, whitespace collapsed."""
    html = re.sub(r"<svg\b.*?</svg>", "", html, flags=re.S | re.I)
    html = re.sub(r"<br\s*/?>", " ", html, flags=re.I)
    text = unescape(re.sub(r"<[^>]*>", "", html))
    return " ".join(text.split())


def render_with(src: Path, posts: list[Path]) -> dict[str, str]:
    """Each post in each theme, rendered by the package under ``src`` in a subprocess."""
    done = subprocess.run(
        [sys.executable, "-c", RENDER_SCRIPT, *map(str, posts)],
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    rendered: dict[str, str] = json.loads(done.stdout)
    return rendered


def baseline_source(ref: str, into: Path) -> Path | None:
    """The ``src`` folder of commit ``ref``, from git; None when git cannot give it."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def wenyan_sizes(prefix: Path | None, posts: list[Path]) -> dict[str, int] | str:
    """The characters of wenyan's HTML for each post, or why there are none."""
    wrapper = (prefix or Path("/nonexistent")) / "node_modules/@wenyan-md/core/dist/wrapper.js"
    node = shutil.which("node")
    if node is None or not wrapper.exists():
        return "not installed"
    sizes = {}
    for post in posts:
        done = subprocess.run(
            [node, "--input-type=module", "-e", WENYAN_SCRIPT, wrapper.as_uri(), str(post)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0 or not done.stdout:
            return f"failed: {done.stderr.strip().splitlines()[-1:]}"
        sizes[str(post)] = len(done.stdout)
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default=BEFORE_COMPACT, help="git commit to compare with")
    parser.add_argument("--wenyan", type=Path, help="npm prefix where @wenyan-md/core is")
    args = parser.parse_args()
    posts = sorted(EXAMPLES.glob("*.md"))
    now = render_with(ROOT / "src", posts)
    with tempfile.TemporaryDirectory() as folder:
        src = baseline_source(args.baseline, Path(folder))
        before = render_with(src, posts) if src is not None else {}
    wenyan = wenyan_sizes(args.wenyan, posts)

    print(f"baseline: {args.baseline if before else 'not available (' + args.baseline + ')'}")
    print(f"wenyan: {'installed' if isinstance(wenyan, dict) else wenyan}")
    header = (
        f"{'post':<10} {'theme':<8} {'text':>6} {'before':>7} {'ratio':>6} "
        f"{'now':>7} {'ratio':>6} {'now/before':>10} {'wenyan':>7} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    halved = under_wenyan = True
    for post in posts:
        text = len(visible_text(now[f"{post}|default"]))
        for theme in THEMES:
            key = f"{post}|{theme}"
            size = len(now[key])
            old = len(before[key]) if key in before else None
            share = f"{size / old:.0%}" if old else "-"
            halved = halved and old is not None and size <= old * GOAL_SHARE
            row = f"{post.stem:<10} {theme:<8} {text:>6,} "
            row += f"{old:>7,} {old / text:>6.2f} " if old else f"{'-':>7} {'-':>6} "
            row += f"{size:>7,} {size / text:>6.2f} {share:>10} "
            if isinstance(wenyan, dict) and theme == "default":
                other = wenyan[str(post)]
                under_wenyan = under_wenyan and size <= other
                row += f"{other:>7,} {other / text:>6.2f}"
            print(row.rstrip())
    print()
    print(f"goal: now at most {GOAL_SHARE:.0%} of before: {'met' if halved else 'NOT met'}")
    if isinstance(wenyan, dict):
        print(f"goal: now no larger than wenyan: {'met' if under_wenyan else 'NOT met'}")
    else:
        print(f"goal: now no larger than wenyan: not measured (wenyan {wenyan})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
