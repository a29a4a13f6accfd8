"""Pages of the documentation site written by the code itself, at build time.

A page asks for generated text with a marker on a line of its own:

``<!-- wxm:cli -->``
    the reference of every ``wxm`` command and option, read from the command tree
    through click's own ``list_commands``/``get_command`` (so a lazily loaded group
    is documented the same way), with the help text ``--help`` prints.
``<!-- wxm:errcodes -->``
    every errcode of ``wechat_material.errcodes``: its errmsg, exception class, hint
    and the hints particular to an endpoint.
``<!-- wxm:api MODULE -->``
    one mkdocstrings block per name in ``MODULE.__all__``.

The page's language (``page.zh.md`` or ``page.en.md``) chooses the language of the
text around the generated facts; the facts themselves (help texts, errmsg, hints,
docstrings) stay as the code has them, in English. An unknown marker, module or
error kind stops the build.
"""

from __future__ import annotations

import html
import importlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

MARKER = re.compile(r"^<!-- wxm:(?P<what>[a-z]+)(?: (?P<arg>[A-Za-z0-9_.]+))? -->$", re.MULTILINE)

# The modules whose public names the API reference documents, each on a page of its own.
API_MODULES = (
    "wechat_material",
    "wechat_material.tokens",
    "wechat_material.sandbox",
    "wechat_material.backup",
    "wechat_material.articles",
)

WORDS = {
    "zh": {
        "usage": "用法",
        "arguments": "参数",
        "options": "选项",
        "commands": "子命令",
        "examples": "示例",
        "code": "errcode",
        "errmsg": "errmsg",
        "class": "异常类",
        "hint": "提示（SDK 原文）",
        "endpoint_hints": "按接口给出的提示",
        "endpoint": "接口",
        "kinds": "错误类别",
    },
    "en": {
        "usage": "Usage",
        "arguments": "Arguments",
        "options": "Options",
        "commands": "Commands",
        "examples": "Examples",
        "code": "errcode",
        "errmsg": "errmsg",
        "class": "Exception",
        "hint": "Hint",
        "endpoint_hints": "Hints that depend on the endpoint",
        "endpoint": "Endpoint",
        "kinds": "Kinds of error",
    },
}

# What each kind of error means and what to do about it, in both languages. A kind
# added to errcodes.ErrorKind without a line here stops the build.
KIND_TEXT = {
    "system_busy": (
        "微信系统繁忙（-1）。读取类调用会按 `RetryPolicy` 退避重试；上传只在请求确未发出时重试。",
        "WeChat is busy (-1). Reads are retried with backoff by `RetryPolicy`; uploads only "
        "when the request never left.",
    ),
    "token": (
        "access_token 无效、过期或已被新的 token 替换。客户端会作废这个 token、"
        "重新获取一次并重放一次调用；"
        "反复出现时，多半是另一个进程也在调用 `/token`：让所有进程共用一个 token 存储。",
        "The access_token is invalid, expired or replaced by a newer one. The client forgets "
        "it, fetches a new one once and replays the call once; if it keeps happening another "
        "process is calling `/token`: give every process one token store.",
    ),
    "authentication": (
        "凭据或来源不被接受：AppID、AppSecret、IP 白名单、账号被冻结。"
        "重试无用，需要在公众平台上处理。",
        "The credentials or the caller are refused: AppID, AppSecret, IP whitelist, a frozen "
        "account. Retrying does not help; fix it on the Official Accounts Platform.",
    ),
    "quota": (
        "当日调用次数已用完（45009），北京时间 0 点重置；`clear_quota` 每月可清零 10 次。",
        "The day's call quota is spent (45009); it resets at midnight China time, and "
        "`clear_quota` may reset it 10 times a month.",
    ),
    "rate_limit": (
        "每分钟的调用频率超限（45011）：放慢速度，下一分钟再试。",
        "Too many calls this minute (45011): slow down and retry in the next minute.",
    ),
    "invalid_media": (
        "文件不符合该类素材的限制（格式、大小、时长）。"
        "SDK 在发送前就按 `wechat_material.limits` 检查，"
        "所以多见于绕过 SDK 的上传。",
        "The file breaks the limits of its type (format, size, duration). The SDK checks "
        "them before sending (`wechat_material.limits`), so this is rare through the SDK.",
    ),
    "not_found": (
        "media_id、草稿或文章不存在：已删除、从未存在，或是超过 3 天的临时素材。",
        "The media_id, draft or article is not there: deleted, never made, or temporary "
        "media older than 3 days.",
    ),
    "retired_api": (
        "微信已于 2022-02-28 下线该接口（如 `add_news`）："
        "改用草稿箱 `client.draft.add` 和发布接口。",
        "WeChat retired this API on 2022-02-28 (e.g. `add_news`): use the draft box, "
        "`client.draft.add`, and publishing instead.",
    ),
    "content_limit": (
        "图文消息的字段超长（标题、作者、摘要、正文）。",
        "A field of an article is too long (title, author, digest, content).",
    ),
    "permission": (
        "公众号没有该接口的权限（48001：未认证或类型不符），或素材正被自动回复、菜单使用。",
        "The account may not use this API (48001: not verified, or the wrong kind of "
        "account), or the material is used by an auto-reply or the menu.",
    ),
    "bad_request": (
        "请求本身有误，或是本库不认识的 errcode。",
        "A malformed call, or an errcode this library does not know.",
    ),
    "rejected": (
        "内容或账号未通过微信审核。",
        "The content or the account was refused by WeChat's review.",
    ),
}


LANGUAGES = ("zh", "en")


def untwinned_pages(docs_dir: Path) -> list[str]:
    """Pages written in one language only, or in none (no ``.zh``/``.en`` suffix)."""
    found: dict[str, set[str]] = {}
    for path in docs_dir.rglob("*.md"):
        relative = path.relative_to(docs_dir).as_posix()
        if relative.startswith(("hooks/", "examples/")):
            continue
        stem, _, language = relative.removesuffix(".md").rpartition(".")
        if language not in LANGUAGES:
            stem, language = relative, ""
        found.setdefault(stem, set()).add(language)
    return sorted(
        f"{stem}: {', '.join(sorted(set(LANGUAGES) - languages)) or 'a language suffix'}"
        for stem, languages in found.items()
        if languages != set(LANGUAGES)
    )


def on_config(config: Any) -> Any:
    lonely = untwinned_pages(Path(config["docs_dir"]))
    if lonely:
        raise PluginError("pages missing in a language: " + "; ".join(lonely))
    forget_other_languages_anchors(config)
    return config


def forget_other_languages_anchors(config: Any) -> None:
    """Start each language's build with an empty cross-reference map.

    The i18n plugin builds the languages one after the other with the same plugin
    objects, so autorefs would still know the Chinese pages' anchors while building the
    English ones, find two pages for every name and link across languages.
    """
    autorefs = config["plugins"].get("autorefs")
    for name in ("_primary_url_map", "_secondary_url_map", "_abs_url_map"):
        if isinstance(getattr(autorefs, name, None), dict):
            getattr(autorefs, name).clear()


def language_of(page: Any) -> str:
    """``en`` for ``*.en.md`` pages, ``zh`` (the site's default) for the others."""
    return "en" if page.file.src_uri.endswith(".en.md") else "zh"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    language = language_of(page)

    def expand(match: re.Match[str]) -> str:
        what, arg = match["what"], match["arg"]
        if what == "cli" and arg is None:
            return cli_reference(language)
        if what == "errcodes" and arg is None:
            return errcode_reference(language)
        if what == "api" and arg in API_MODULES:
            return api_reference(arg)
        raise PluginError(f"{page.file.src_uri}: unknown marker {match[0]}")

    return MARKER.sub(expand, markdown)


# Docstrings name other objects with Sphinx roles (:class:`TokenManager`); Markdown
# shows the role's name before the code. The reference shows the code alone.
SPHINX_ROLE = re.compile(r":(?:class|func|meth|attr|data|mod|exc|obj):(?=<code>)")


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return SPHINX_ROLE.sub("", html)


# ---------------------------------------------------------------- search, per language

CONFIG_BASE = re.compile(
    r'(<script id="__config" type="application/json">\{"annotate": [^,]*, "base": ")([^"]*)(")'
)


# After the i18n plugin (-100), which builds the other languages and writes the index.
@event_priority(-200)
def on_post_build(config: Any) -> None:
    """Give each language a search index of its own.

    The i18n plugin gathers every language's pages into one index at the site's root,
    so a Chinese query would list English pages and the other way round. Once that
    index is written (the last step of the build), its English entries move to
    en/search/search_index.json and the English pages look for their index there.
    """
    site = Path(config["site_dir"])
    index_file = site / "search" / "search_index.json"
    if not (site / "en" / "index.html").is_file() or not index_file.is_file():
        return
    index = json.loads(index_file.read_text(encoding="utf-8"))
    english = [doc for doc in index["docs"] if doc["location"].startswith("en/")]
    if not english:
        return
    chinese = [doc for doc in index["docs"] if not doc["location"].startswith("en/")]
    for doc in english:
        doc["location"] = doc["location"].removeprefix("en/")
    # Chinese pages are full of English names too: their index reads both languages.
    zh = {**index, "config": {**index["config"], "lang": ["en", "zh"]}, "docs": chinese}
    en = {**index, "config": {**index["config"], "lang": ["en"]}, "docs": english}
    write_index(index_file, zh)
    write_index(site / "en" / "search" / "search_index.json", en)
    for page in (site / "en").rglob("*.html"):
        to_root = Path(os.path.relpath(site, page.parent)).as_posix()
        to_en = Path(os.path.relpath(site / "en", page.parent)).as_posix()
        text = page.read_text(encoding="utf-8")
        moved = CONFIG_BASE.sub(
            lambda m, old=to_root, new=to_en: m[1] + (new if m[2] == old else m[2]) + m[3],
            text,
            count=1,
        )
        if moved != text:
            page.write_text(moved, encoding="utf-8")


def write_index(path: Path, index: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


# ---------------------------------------------------------------- the command tree


def command_tree() -> Iterator[tuple[list[str], Any, Any]]:
    """Every command of ``wxm``, depth first: its path, the command and its context."""

    from wechat_material.cli import app

    root = root_command(app)
    context = root.context_class(root, info_name="wxm")

    def walk(path: list[str], command: Any, ctx: Any) -> Iterator[tuple[list[str], Any, Any]]:
        yield path, command, ctx
        if not hasattr(command, "list_commands"):
            return
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from walk([*path, name], sub, sub.context_class(sub, info_name=name, parent=ctx))

    yield from walk(["wxm"], root, context)


# The rich markup wxm's help uses for emphasis; anything else in brackets, such as
# click's "[default: auto]" or "[required]", is text and stays.
RICH_TAG = re.compile(
    r"\[/?(?:bold|dim|italic|underline|reverse|b|i|u|code|red|green|yellow|blue|magenta|cyan"
    r"|white)(?: [a-z ]+)?\]"
)


def root_command(app: Any) -> Any:
    """wxm's click command: the typer app's, or the app itself if it is a click group."""
    import typer

    return app if hasattr(app, "list_commands") else typer.main.get_command(app)


def plain(text: str) -> str:
    """Help text as a terminal shows it: rich emphasis and click's ``\\b`` markers removed."""
    lines = [line for line in text.splitlines() if line.strip() != "\b"]
    return RICH_TAG.sub("", "\n".join(lines)).strip()


def prose(text: str) -> str:
    """Help text as Markdown that shows it literally."""
    escaped = html.escape(plain(text), quote=False)
    return re.sub(r"([\\`*_\[\]#|])", r"\\\1", escaped)


def command_anchor(path: list[str]) -> str:
    return "-".join(path)


def cli_reference(language: str) -> str:
    words = WORDS[language]
    out: list[str] = []
    for path, command, ctx in command_tree():
        level = "#" * min(2 + len(path) - 1, 6)
        out.append(f"{level} {' '.join(path)} {{#{command_anchor(path)}}}\n")
        if command.help:
            out.append(prose(command.help) + "\n")
        usage = " ".join([*path, *command.collect_usage_pieces(ctx)])
        out.append(f"{words['usage']}:\n\n```text\n{usage}\n```\n")
        arguments, options = [], []
        for param in command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            record = param.get_help_record(ctx)
            if param.param_type_name == "argument":
                name = param.make_metavar(ctx) if record is None else record[0]
                text = "" if record is None else record[1]
                arguments.append(f"- `{name}`" + (f": {prose(text)}" if text else ""))
            elif record is not None:
                options.append(f"- `{record[0]}`" + (f": {prose(record[1])}" if record[1] else ""))
        if arguments:
            out.append(f"**{words['arguments']}**\n\n" + "\n".join(arguments) + "\n")
        if options:
            out.append(f"**{words['options']}**\n\n" + "\n".join(options) + "\n")
        if hasattr(command, "list_commands"):
            names = [
                f"[`{' '.join([*path, name])}`](#{command_anchor([*path, name])})"
                for name in command.list_commands(ctx)
                if not getattr(command.get_command(ctx, name), "hidden", True)
            ]
            out.append(f"**{words['commands']}**: " + ", ".join(names) + "\n")
        if command.epilog:
            examples = plain(command.epilog)
            examples = re.sub(r"^Examples\s*\n", "", examples).strip("\n")
            examples = "\n".join(line.strip() for line in examples.splitlines() if line.strip())
            out.append(f"**{words['examples']}**\n\n```console\n{examples}\n```\n")
    return "\n".join(out)


# ---------------------------------------------------------------- errcodes


def errcode_reference(language: str) -> str:
    from wechat_material._endpoints import ALL as ENDPOINTS
    from wechat_material.errcodes import ERRCODES, ErrorKind
    from wechat_material.errors import ERROR_CLASSES

    words = WORDS[language]
    index = 0 if language == "zh" else 1
    missing = sorted(kind.value for kind in ErrorKind if kind.value not in KIND_TEXT)
    if missing:
        raise PluginError(f"errcodes: no text for the error kinds {', '.join(missing)}")
    out = [f"### {words['kinds']}\n"]
    for kind in ErrorKind:
        cls = ERROR_CLASSES[kind]
        out.append(
            f"- [`{cls.__name__}`][wechat_material.{cls.__name__}]: {KIND_TEXT[kind.value][index]}"
        )
    out.append("")
    for code in sorted(ERRCODES):
        entry = ERRCODES[code]
        cls = ERROR_CLASSES[entry.kind]
        out.append(f"### {code} {{#errcode-{code}}}\n")
        out.append(f"- {words['errmsg']}: `{entry.errmsg}`")
        out.append(f"- {words['class']}: [`{cls.__name__}`][wechat_material.{cls.__name__}]")
        if entry.hint:
            out.append(f"- {words['hint']}: {prose(entry.hint)}")
        specific = sorted((e.path, e.hints[code]) for e in ENDPOINTS if code in e.hints)
        if specific:
            out.append(f"- {words['endpoint_hints']}:")
            out.extend(f"    - `{path}`: {prose(hint)}" for path, hint in specific)
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------- the API


def public_names(module: str) -> list[str]:
    return sorted(importlib.import_module(module).__all__)


def api_reference(module: str) -> str:
    return "\n".join(f"::: {module}.{name}\n" for name in public_names(module))
