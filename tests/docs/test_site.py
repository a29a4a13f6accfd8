"""The documentation site: built strictly, complete in both languages, generated
references that follow the code, and nothing loaded from another host."""

from __future__ import annotations

import importlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
import typer
from tests.docs.conftest import ROOT, build, load_hook

# The first test here builds the site (about 20 s on an idle machine, both languages).
pytestmark = pytest.mark.timeout(300)

LANGUAGES = {"zh": "", "en": "en/"}


def page(site: Path, language: str, path: str) -> str:
    return (site / LANGUAGES[language] / path / "index.html").read_text(encoding="utf-8")


def ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


# ------------------------------------------------------------------ both languages


def test_every_page_is_written_in_both_languages() -> None:
    assert load_hook().untwinned_pages(ROOT / "docs") == []


def test_a_page_in_one_language_only_is_found(tmp_path: Path) -> None:
    untwinned_pages = load_hook().untwinned_pages
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "a.zh.md").write_text("# 甲")
    (tmp_path / "guide" / "a.en.md").write_text("# A")
    (tmp_path / "b.en.md").write_text("# B")
    (tmp_path / "c.md").write_text("# C")
    assert untwinned_pages(tmp_path) == ["b: zh", "c.md: en, zh"]


def test_both_languages_are_built_with_the_same_pages(site: Path) -> None:
    chinese = {p.relative_to(site) for p in site.rglob("index.html") if "en" not in p.parts[:1]}
    chinese = {p for p in chinese if p.parts[0] not in {"en", "examples"}}
    english = {p.relative_to(site / "en") for p in (site / "en").rglob("index.html")}
    english = {p for p in english if p.parts[0] != "examples"}
    assert chinese == english
    assert len(chinese) >= 20
    assert '<html lang="zh"' in page(site, "zh", ".")
    assert '<html lang="en"' in page(site, "en", ".")


def test_each_language_has_a_search_index_of_its_own(site: Path) -> None:
    chinese = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    english = json.loads((site / "en" / "search" / "search_index.json").read_text("utf-8"))
    assert [doc for doc in chinese["docs"] if doc["location"].startswith("en/")] == []
    assert chinese["config"]["lang"] == ["en", "zh"]
    assert english["config"]["lang"] == ["en"]
    # Typed terms get a trailing wildcard and are never stemmed: a stemmed index would
    # not match a whole name such as FileTokenStore (the browser test searches for it).
    assert "stemmer" not in chinese["config"]["pipeline"] + english["config"]["pipeline"]
    assert any("素材" in doc["text"] for doc in chinese["docs"])
    # The API reference's sections are in both, though their docstrings are the same.
    names = {doc["location"] for doc in english["docs"]}
    assert "reference/api/tokens/#wechat_material.tokens.FileTokenStore" in names
    # The English pages look for the English index.
    assert '"base": ".."' in page(site, "en", "sdk")
    assert '"base": ".."' in page(site, "zh", "sdk")
    assert '"base": "."' in page(site, "en", ".")


def test_the_readme_has_a_chinese_twin_linked_from_the_top_of_each() -> None:
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    chinese = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert "(README.zh-CN.md)" in "\n".join(english.splitlines()[:4])
    assert "(README.md)" in "\n".join(chinese.splitlines()[:4])
    for text in (english, chinese):
        for target in re.findall(r"\]\(((?:docs/|README)[^)#\s]*)", text):
            assert (ROOT / target).is_file(), f"a README links to {target}, which is missing"


# ------------------------------------------------------------------ generated references


@pytest.mark.parametrize(
    ("module", "path"),
    [
        ("wechat_material", "reference/api/wechat_material"),
        ("wechat_material.tokens", "reference/api/tokens"),
        ("wechat_material.sandbox", "reference/api/sandbox"),
        ("wechat_material.backup", "reference/api/backup"),
        ("wechat_material.articles", "reference/api/articles"),
    ],
)
def test_every_public_name_is_in_the_api_reference(site: Path, module: str, path: str) -> None:
    names = importlib.import_module(module).__all__
    assert names
    for language in LANGUAGES:
        found = ids(page(site, language, path))
        missing = [name for name in names if f"{module}.{name}" not in found]
        assert missing == [], f"{language} {path}: not in the reference: {missing}"


def test_the_reference_shows_no_sphinx_role_names(site: Path) -> None:
    for language in LANGUAGES:
        html = page(site, language, "reference/api/tokens")
        assert "MemoryTokenStore" in html
        assert re.findall(r":(?:class|func|meth|data|mod):", html) == []


def command_paths() -> list[list[str]]:
    """Every wxm command, found through click's own group API."""
    from wechat_material.cli import app

    root = load_hook().root_command(app)
    found: list[list[str]] = []

    def walk(path: list[str], command: object, ctx: typer.Context) -> None:
        found.append(path)
        for name in getattr(command, "list_commands", lambda _: [])(ctx):
            sub = command.get_command(ctx, name)  # type: ignore[attr-defined]
            walk([*path, name], sub, sub.context_class(sub, info_name=name, parent=ctx))

    walk(["wxm"], root, root.context_class(root, info_name="wxm"))
    return found


def test_every_command_and_option_is_in_the_command_reference(site: Path) -> None:
    from wechat_material.cli import app

    paths = command_paths()
    assert ["wxm", "backup", "verify"] in paths
    root = load_hook().root_command(app)
    for language in LANGUAGES:
        html = page(site, language, "reference/cli")
        found = ids(html)
        for path in paths:
            assert "-".join(path) in found, f"{language}: no section for {' '.join(path)}"
        # Every option of one command, as --help spells it.
        ctx = root.context_class(root, info_name="wxm")
        upload = root.get_command(ctx, "upload")  # type: ignore[attr-defined]
        for param in upload.params:
            for option in param.opts:
                if option.startswith("-"):
                    assert f"{option}" in html, f"{language}: wxm upload {option} is missing"
        # With what --help says of it: its default, a required argument.
        assert "[default: auto]" in html
        assert "[required]" in html


def test_every_errcode_is_on_the_troubleshooting_page(site: Path) -> None:
    from wechat_material.errcodes import ERRCODES
    from wechat_material.errors import ERROR_CLASSES

    for language in LANGUAGES:
        html = page(site, language, "troubleshooting")
        found = ids(html)
        assert [code for code in ERRCODES if f"errcode-{code}" not in found] == []
        # The exception classes link into the API reference.
        for cls in ERROR_CLASSES.values():
            assert f"wechat_material/#wechat_material.{cls.__name__}" in html


def test_every_theme_is_shown_as_a_picture(site: Path) -> None:
    from wechat_material.articles import THEMES

    for language in LANGUAGES:
        html = page(site, language, "publishing")
        for theme in THEMES:
            assert f"theme-{theme}.png" in html, f"{language}: no picture of the theme {theme}"
            assert (ROOT / "docs" / "images" / f"theme-{theme}.png").is_file()


# ------------------------------------------------------------------ served from anywhere


class Assets(HTMLParser):
    """Every URL a page loads by itself: scripts, stylesheets, fonts, images, frames."""

    LOADS: ClassVar[dict[str, str]] = {
        "script": "src",
        "img": "src",
        "iframe": "src",
        "source": "src",
        "video": "src",
        "audio": "src",
        "embed": "src",
        "object": "data",
    }

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("rel") not in {None, "canonical", "alternate"}:
            self.urls.append(values.get("href") or "")
        if tag in self.LOADS:
            self.urls.append(values.get(self.LOADS[tag]) or "")
        style = values.get("style") or ""
        self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", style)


def remote(url: str) -> bool:
    return bool(re.match(r"(?i)^\s*(https?:)?//", url))


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 40
    for html_file in pages:
        parser = Assets()
        parser.feed(html_file.read_text(encoding="utf-8"))
        outside = [url for url in parser.urls if remote(url)]
        assert outside == [], f"{html_file.relative_to(site)} loads {outside}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        imports = re.findall(r"@import[^;]*|url\(\s*['\"]?(?:https?:)?//[^)]*", text)
        assert imports == [], f"{css.relative_to(site)} loads {imports}"
    assert "fonts.googleapis" not in "".join(p.read_text(encoding="utf-8") for p in pages)


def test_the_asset_check_sees_a_remote_font(tmp_path: Path) -> None:
    parser = Assets()
    parser.feed(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//cdn.example/x.js"></script><img src="../images/a.png">'
    )
    assert [url for url in parser.urls if remote(url)] == [
        "https://fonts.googleapis.com/css?family=Roboto",
        "//cdn.example/x.js",
    ]


# ------------------------------------------------------------------ strict


@pytest.mark.slow
def test_a_broken_link_or_cross_reference_fails_the_build(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "docs", copy / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    (copy / "src").symlink_to(ROOT / "src")
    index = copy / "docs" / "index.en.md"
    index.write_text(
        index.read_text(encoding="utf-8")
        + "\n[gone](no-such-page.md) and [a client][wechat_material.NoSuchClient]\n",
        encoding="utf-8",
    )
    result = build(copy / "mkdocs.yml", tmp_path / "site", language="en")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no-such-page.md" in output
    assert "wechat_material.NoSuchClient" in output
