"""What the sandbox fuzzer sends: the API it aims at and one case per number.

Every case is drawn from its own generator seeded by ``(seed, case number)``,
so the same seed gives the same cases whatever the concurrency, and a single
case can be sent again on its own.
"""

from __future__ import annotations

import random
import string
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from fuzz_inputs import (
    RANGES,
    dump,
    encode_query,
    json_body,
    multipart_body,
    mutate_params,
    near_path,
    odd_headers,
    unicode_text,
)
from png_image import png_bytes
from sandbox_process import fetch_token

MEDIA_DIR = Path(__file__).resolve().parent.parent / "tests" / "media"
# Separate accounts, so that fuzzed calls cannot pull the ground from under the
# harness: a valid /token call ends older tokens of its account, and admin calls
# can freeze an account or fill its whitelist.
MAIN = ("wxfuzzmain0000001", "fuzzmainsecret0000000000000000001")  # the harness's calls
TOKENS = ("wxfuzztoken000002", "fuzztokensecret000000000000000002")  # fuzzed token calls
VICTIM = ("wxfuzzvictim00003", "fuzzvictimsecret00000000000000003")  # fuzzed admin calls
CHECK = ("wxfuzzcheck000004", "fuzzchecksecret000000000000000004")  # probes, final check
ACCOUNTS = (MAIN, TOKENS, VICTIM, CHECK)
MEMORY_SHARE = 0.25  # of --requests, for the memory phase
STATE_SHARE = 0.04  # for the state phase (each case is followed by probes and an undo)


@dataclass
class Context:
    """What the seeding step learnt: tokens, ids and file URLs to aim at."""

    token: str = ""
    other_token: str = ""
    ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    urls: list[str] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)

    def some_id(self, rng: random.Random, kind: str) -> str:
        pool = self.ids.get(kind) or ["unknown-media-id"]
        return rng.choice(pool)


@dataclass
class Case:
    index: int
    phase: str
    endpoint: str  # the label in the by-endpoint table
    method: str
    target: str  # path and query, already encoded
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    chunked: bool = False

    def reproducer(self, limit: int = 160) -> str:
        body = "" if self.body is None else f" body[{len(self.body)}]={self.body[:limit]!r}"
        chunked = " (chunked)" if self.chunked else ""
        headers = f" headers={self.headers!r}" if self.headers else ""
        target = self.target if len(self.target) <= 300 else self.target[:300] + "…"
        return f"#{self.index} {self.method} {target}{headers}{chunked}{body}"


def article(ctx: Context, rng: random.Random) -> dict[str, Any]:
    chosen = {
        "title": "标题 title",
        "thumb_media_id": ctx.some_id(rng, "image"),
        "author": "author",
        "digest": "digest",
        "show_cover_pic": 1,
        "content": "<p>content 内容</p>",
        "content_source_url": "https://example.com/source",
        "need_open_comment": 0,
        "only_fans_can_comment": 0,
    }
    if rng.random() < 0.2:
        chosen["article_type"] = "newspic"
        chosen["image_info"] = {"image_list": [{"image_media_id": ctx.some_id(rng, "image")}]}
    if rng.random() < 0.2:
        chosen["pic_crop_235_1"] = "0_0_1_0.5"
    return chosen


def json_template(name: str, ctx: Context, rng: random.Random) -> dict[str, Any]:
    """A well-formed body for each JSON endpoint."""
    appid, secret = TOKENS
    grant = {"grant_type": "client_credential", "appid": appid, "secret": secret}
    media_id = ctx.some_id(rng, rng.choice(("image", "voice", "video", "thumb", "news")))
    templates: dict[str, Callable[[], dict[str, Any]]] = {
        "stable_token": lambda: {**grant, "force_refresh": rng.random() < 0.3},
        "clear_quota": lambda: {"appid": MAIN[0]},
        "quota_get": lambda: {"cgi_path": rng.choice(API_PATHS)},
        "uploadnews": lambda: {"articles": [article(ctx, rng)]},
        "uploadvideo": lambda: {
            "media_id": ctx.some_id(rng, "temp"),
            "title": "t",
            "description": "d",
        },
        "get_material": lambda: {"media_id": media_id},
        "del_material": lambda: {"media_id": media_id},
        "batchget_material": lambda: {
            "type": rng.choice(("image", "voice", "video", "news")),
            "offset": rng.randint(0, 5),
            "count": rng.randint(1, 20),
        },
        "add_news": lambda: {"articles": [article(ctx, rng)]},
        "update_news": lambda: {
            "media_id": ctx.some_id(rng, "news"),
            "index": 0,
            "articles": article(ctx, rng),
        },
        "draft_add": lambda: {"articles": [article(ctx, rng) for _ in range(rng.randint(1, 3))]},
        "draft_get": lambda: {"media_id": ctx.some_id(rng, "draft")},
        "draft_delete": lambda: {"media_id": ctx.some_id(rng, "draft")},
        "draft_update": lambda: {
            "media_id": ctx.some_id(rng, "draft"),
            "index": 0,
            "articles": article(ctx, rng),
        },
        "draft_batchget": lambda: {
            "offset": 0,
            "count": rng.randint(1, 20),
            "no_content": rng.randint(0, 1),
        },
        "publish_submit": lambda: {"media_id": ctx.some_id(rng, "draft")},
        "publish_get": lambda: {"publish_id": ctx.some_id(rng, "publish")},
        "publish_delete": lambda: {"article_id": ctx.some_id(rng, "article"), "index": 0},
        "publish_getarticle": lambda: {"article_id": ctx.some_id(rng, "article")},
        "publish_batchget": lambda: {"offset": 0, "count": 10, "no_content": 0},
    }
    return templates[name]()


@dataclass(frozen=True)
class Api:
    name: str
    method: str
    path: str
    kind: str = "json"  # json | upload | query
    query: tuple[str, ...] = ()  # query params a good call carries (besides access_token)
    token: bool = True


APIS = (
    Api("token", "GET", "/cgi-bin/token", "query", ("grant_type", "appid", "secret"), False),
    Api("stable_token", "POST", "/cgi-bin/stable_token", token=False),
    Api("clear_quota", "POST", "/cgi-bin/clear_quota"),
    Api("quota_get", "POST", "/cgi-bin/openapi/quota/get"),
    Api("media_upload", "POST", "/cgi-bin/media/upload", "upload", ("type",)),
    Api("media_get", "GET", "/cgi-bin/media/get", "query", ("media_id",)),
    Api("media_get_jssdk", "GET", "/cgi-bin/media/get/jssdk", "query", ("media_id",)),
    Api("uploadimg", "POST", "/cgi-bin/media/uploadimg", "upload"),
    Api("uploadnews", "POST", "/cgi-bin/media/uploadnews"),
    Api("uploadvideo", "POST", "/cgi-bin/media/uploadvideo"),
    Api("add_material", "POST", "/cgi-bin/material/add_material", "upload", ("type",)),
    Api("get_material", "POST", "/cgi-bin/material/get_material"),
    Api("del_material", "POST", "/cgi-bin/material/del_material"),
    Api("get_materialcount", "GET", "/cgi-bin/material/get_materialcount", "query"),
    Api("batchget_material", "POST", "/cgi-bin/material/batchget_material"),
    Api("add_news", "POST", "/cgi-bin/material/add_news"),
    Api("update_news", "POST", "/cgi-bin/material/update_news"),
    Api("draft_add", "POST", "/cgi-bin/draft/add"),
    Api("draft_get", "POST", "/cgi-bin/draft/get"),
    Api("draft_delete", "POST", "/cgi-bin/draft/delete"),
    Api("draft_update", "POST", "/cgi-bin/draft/update"),
    Api("draft_count", "GET", "/cgi-bin/draft/count", "query"),
    Api("draft_batchget", "POST", "/cgi-bin/draft/batchget"),
    Api("publish_submit", "POST", "/cgi-bin/freepublish/submit"),
    Api("publish_get", "POST", "/cgi-bin/freepublish/get"),
    Api("publish_delete", "POST", "/cgi-bin/freepublish/delete"),
    Api("publish_getarticle", "POST", "/cgi-bin/freepublish/getarticle"),
    Api("publish_batchget", "POST", "/cgi-bin/freepublish/batchget"),
)
API_PATHS = [api.path for api in APIS]
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PROPFIND", "FOO")
MEDIA_TYPES = ("image", "voice", "video", "thumb")


def file_content(ctx: Context, rng: random.Random, media_type: str) -> tuple[str, bytes]:
    """A filename and bytes; right for ``media_type`` most of the time."""
    fitting = {
        "image": ("image.png", "image.jpg", "image.gif", "image.bmp"),
        "voice": ("voice-2s.mp3", "voice-2s.amr"),
        "video": ("video.mp4",),
        "thumb": ("thumb.jpg",),
    }.get(media_type, ("image.jpg",))
    roll = rng.random()
    if roll < 0.55:
        name = rng.choice(fitting)
        return name, ctx.media.get(name) or png_bytes(rng)
    if roll < 0.65:
        return "image.png", png_bytes(rng)
    if roll < 0.75:
        name = rng.choice(list(ctx.media) or ["image.png"])
        return name, ctx.media.get(name, b"")
    if roll < 0.80:
        data = ctx.media.get(rng.choice(fitting), b"")
        return rng.choice(fitting), data[: rng.randrange(max(1, len(data)))]
    if roll < 0.85:
        return "image.png", b""
    if roll < 0.88:  # big-ish: over the type limits, under the request limit
        return "big.jpg", ctx.media.get("image.jpg", b"") + bytes(rng.choice((1, 3, 11)) << 20)
    return "image.png", rng.randbytes(rng.randint(1, 2000))


def token_value(ctx: Context, rng: random.Random) -> list[tuple[str, str]]:
    roll = rng.random()
    if roll < 0.70:
        return [("access_token", ctx.token)]
    options: list[list[tuple[str, str]]] = [
        [],
        [("access_token", "")],
        [("access_token", "x")],
        [("access_token", "A" * 512)],
        [("access_token", ctx.other_token)],
        [("access_token", "bad"), ("access_token", ctx.token)],
        [("access_token", ctx.token), ("access_token", "bad")],
        [("access_token", ctx.token + "\x00")],
        [("access_token", "素材")],
        [("ACCESS_TOKEN", ctx.token)],
    ]
    return rng.choice(options)


def api_case(index: int, ctx: Context, rng: random.Random) -> Case:
    api = rng.choice(APIS)
    method = api.method if rng.random() < 0.85 else rng.choice(METHODS)
    params: list[tuple[str, str]] = []
    if api.name == "token":
        appid, secret = TOKENS
        params = [("grant_type", "client_credential"), ("appid", appid), ("secret", secret)]
    if "media_id" in api.query:
        kind = "jssdk" if api.name == "media_get_jssdk" else rng.choice(("temp", "video_temp"))
        params.append(("media_id", ctx.some_id(rng, kind)))
    media_type = rng.choice(MEDIA_TYPES) if rng.random() < 0.9 else rng.choice(("news", "", "x"))
    if "type" in api.query:
        params.append(("type", media_type))
    if api.token:
        params = token_value(ctx, rng) + params
    params = mutate_params(params, rng)
    headers = odd_headers(rng)
    body: bytes | None = None
    if api.kind == "json":
        body = json_body(json_template(api.name, ctx, rng), rng)
        if rng.random() < 0.85:
            headers.append(("Content-Type", "application/json"))
        elif rng.random() < 0.7:
            headers.append(
                (
                    "Content-Type",
                    rng.choice(
                        (
                            "text/plain",
                            "application/x-www-form-urlencoded",
                            "multipart/form-data; boundary=x",
                            "application/json; charset=latin-1",
                        )
                    ),
                )
            )
    elif api.kind == "upload":
        filename, data = file_content(ctx, rng, media_type)
        body, content_type = multipart_body(rng, filename, data, media_type == "video")
        headers += content_type
    elif rng.random() < 0.2:
        body = json_body({"media_id": ctx.some_id(rng, "image")}, rng)
    if method in ("GET", "HEAD") and rng.random() < 0.7:
        body = None
    query = encode_query(params, rng)
    target = near_path(api.path, rng) + (f"?{query}" if query else "")
    chunked = body is not None and rng.random() < 0.05
    return Case(index, "api", api.name, method, target, headers, body, chunked)


def file_case(index: int, ctx: Context, rng: random.Random) -> Case:
    path = rng.choice(ctx.urls or ["/mmbiz/none"])
    roll = rng.random()
    if roll < 0.3:
        path = path[: rng.randrange(len("/mmbiz/"), max(len("/mmbiz/") + 1, len(path)))]
    elif roll < 0.4:
        path += rng.choice(("/", "%00", "/../../etc/passwd", "?x=1", "%2F..%2F"))
    elif roll < 0.5:
        path = "/mmbiz/" + quote(unicode_text(rng, rng.randint(1, 40)))
    method = rng.choice(("GET", "GET", "HEAD", "POST", "DELETE"))
    headers = odd_headers(rng)
    if rng.random() < 0.3:
        headers.append(("Range", rng.choice(RANGES)))
    return Case(index, "api", "mmbiz", method, path, headers)


def admin_appid(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.6:
        return VICTIM[0]
    if roll < 0.8:
        return "wxunknown" + "".join(rng.choice(string.hexdigits) for _ in range(8))
    return quote(rng.choice(("", "a/b", "素材", "\x00", "x" * 3000, "..", "%2F")), safe="")


def admin_case(index: int, ctx: Context, rng: random.Random) -> Case:
    """The admin routes that touch one account or nothing global."""
    appid = admin_appid(rng)
    routes: list[tuple[str, str, dict[str, Any] | None]] = [
        ("health", "GET", None),
        ("clock", "GET", None),
        ("counters", "GET", None),
        ("faults", "GET", None),
        ("accounts", "POST", None),
        ("whitelist", "PUT", {"ips": ["127.0.0.1", "::1"]}),
        ("quota", "PUT", {"cgi_path": "/cgi-bin/draft/add", "daily_limit": 10, "minute_limit": 5}),
        ("revoke", "POST", None),
        ("jssdk_voice", "POST", None),
        ("protect", "POST", {"media_id": ctx.some_id(rng, "image")}),
        ("status", rng.choice(("GET", "PUT")), None),
    ]
    name, method, template = rng.choice(routes)
    paths = {
        "health": "/_sandbox/health",
        "clock": "/_sandbox/clock",
        "counters": "/_sandbox/counters",
        "faults": "/_sandbox/faults",
        "accounts": "/_sandbox/accounts",
        "whitelist": f"/_sandbox/accounts/{appid}/whitelist",
        "quota": f"/_sandbox/accounts/{appid}/quota",
        "revoke": f"/_sandbox/accounts/{appid}/tokens/revoke",
        "jssdk_voice": f"/_sandbox/accounts/{appid}/jssdk_voice",
        "protect": f"/_sandbox/accounts/{appid}/protect",
        "status": f"/_sandbox/accounts/{appid}/status",
    }
    if name == "accounts":
        new_appid = rng.choice((f"wxnew{index}", "", VICTIM[0], unicode_text(rng, 10)))
        template = {"appid": new_appid, "secret": "s" * 32, "token_daily_limit": 5}
        if rng.random() < 0.3:
            template["whitelist"] = ["127.0.0.1"]
    if name == "status" and method == "PUT":
        template = {
            "secret_frozen": False,
            "token_forbidden": False,
            "frozen": False,
            "limited": False,
            "unauthorized": ["/cgi-bin/draft/add"],
        }
    body: bytes | None = None
    headers: list[tuple[str, str]] = []
    if name == "jssdk_voice":
        body = ctx.media.get("voice-2s.amr", b"") if rng.random() < 0.5 else rng.randbytes(100)
        if rng.random() < 0.1:
            body = b""
    elif template is not None:
        body = json_body(template, rng)
        headers.append(("Content-Type", "application/json"))
    if rng.random() < 0.15:
        method = rng.choice(METHODS)
    params: list[tuple[str, str]] = []
    if name == "counters":
        params = [("appid", rng.choice((MAIN[0], "", "素材", "x" * 2000)))]
    query = encode_query(mutate_params(params, rng), rng)
    target = near_path(paths[name], rng) + (f"?{query}" if query else "")
    return Case(index, "api", f"admin:{name}", method, target, headers + odd_headers(rng), body)


def random_segment(rng: random.Random, longest: int = 40) -> str:
    alphabet = string.ascii_lowercase + string.digits + "_-."
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(3, longest)))


def memory_case(index: int, ctx: Context, rng: random.Random) -> Case:
    """Calls under appids and paths never seen before: what per-key state would keep."""
    appid = "wx" + "".join(rng.choice(string.hexdigits.lower()) for _ in range(16))
    appid += random_segment(rng, 100) if rng.random() < 0.5 else ""
    path = "/cgi-bin/" + "/".join(random_segment(rng, 200) for _ in range(rng.randint(1, 5)))
    roll = rng.random()
    if roll < 0.35:
        query = encode_query([("grant_type", "client_credential"), ("appid", appid)], rng)
        return Case(index, "memory", "memory:token", "GET", f"/cgi-bin/token?{query}&secret=x")
    if roll < 0.55:
        body = dump({"grant_type": "client_credential", "appid": appid, "secret": "x"})
        headers = [("Content-Type", "application/json")]
        return Case(
            index, "memory", "memory:stable_token", "POST", "/cgi-bin/stable_token", headers, body
        )
    if roll < 0.80:
        query = encode_query([("appid", appid)], rng)
        return Case(index, "memory", "memory:path", "GET", f"{path}?{query}")
    query = encode_query([("access_token", appid + random_segment(rng))], rng)
    return Case(
        index, "memory", "memory:path+token", rng.choice(("GET", "POST")), f"{path}?{query}"
    )


def case_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"{seed}:{index}")


def plan(requests: int) -> tuple[int, int, int]:
    """How many cases each phase gets, in the order they run: (memory, api, state).

    The memory phase runs first, on a sandbox whose heap has not yet grown and
    shrunk around big uploads, so its RSS figures show what it alone keeps.
    """
    state = max(1, int(requests * STATE_SHARE))
    memory = int(requests * MEMORY_SHARE)
    return memory, requests - memory - state, state


def make_case(index: int, requests: int, seed: int, ctx: Context) -> Case:
    memory, api, _ = plan(requests)
    rng = case_rng(seed, index)
    if index < memory:
        return memory_case(index, ctx, rng)
    if index < memory + api:
        roll = rng.random()
        if roll < 0.08:
            return file_case(index, ctx, rng)
        if roll < 0.20:
            return admin_case(index, ctx, rng)
        return api_case(index, ctx, rng)
    return state_case(index, rng)


def state_case(index: int, rng: random.Random) -> Case:
    """An admin call that changes the whole sandbox, to be undone after its probes."""
    choices: list[tuple[str, str, str, dict[str, Any]]] = [
        ("clock_advance", "POST", "/_sandbox/clock/advance", {"seconds": 60}),
        ("clock_set", "POST", "/_sandbox/clock/set", {"now": 1_700_000_000}),
        (
            "faults",
            "POST",
            "/_sandbox/faults",
            {
                "endpoint": "/cgi-bin/material/get_materialcount",
                "latency_ms": 1,
                "jitter_ms": 1,
                "error_rate": 0.5,
                "seed": 1,
                "count": 3,
            },
        ),
        ("settings", "PUT", "/_sandbox/settings", {"json_content_type": "text/plain"}),
        ("counters_delete", "DELETE", "/_sandbox/counters", {}),
    ]
    name, method, path, template = rng.choice(choices)
    if rng.random() < 0.01:
        name, method, path, template = "reset", "POST", "/_sandbox/reset", {}
    if name == "settings" and rng.random() < 0.5:
        template = {"news_api": rng.choice(("retired", "live", "x")), **template}
    body = json_body(template, rng)
    return Case(index, "state", f"admin:{name}", method, path, [], body)


def grant_query(account: tuple[str, str]) -> str:
    return f"/cgi-bin/token?grant_type=client_credential&appid={account[0]}&secret={account[1]}"


def seed_content(base_url: str) -> Context:
    """Tokens, and one of each thing the API can point at, to aim the fuzzed calls."""
    ctx = Context()
    ctx.media = {p.name: p.read_bytes() for p in MEDIA_DIR.glob("*") if p.suffix != ".md"}
    if "image.png" not in ctx.media:
        ctx.media["image.png"] = png_bytes(random.Random(0))
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for account in (MAIN, TOKENS, CHECK):  # room for the fuzzed /token calls
            quota = {"cgi_path": "/cgi-bin/token", "daily_limit": 1_000_000}
            client.put(f"/_sandbox/accounts/{account[0]}/quota", json=quota)
        ctx.token = fetch_token(base_url, *MAIN)
        ctx.other_token = fetch_token(base_url, *VICTIM)
        auth = {"access_token": ctx.token}

        def upload(path: str, media_type: str, name: str, **fields: str) -> dict[str, Any]:
            data = ctx.media.get(name) or png_bytes(random.Random(1))
            reply = client.post(
                path,
                params={**auth, "type": media_type},
                files={"media": (name, data)},
                data=fields,
            ).json()
            result: dict[str, Any] = reply
            return result

        for media_type, name in (
            ("image", "image.png"),
            ("image", "image.jpg"),
            ("thumb", "thumb.jpg"),
            ("voice", "voice-2s.mp3"),
        ):
            added = upload("/cgi-bin/material/add_material", media_type, name)
            ctx.ids[media_type].extend([added["media_id"]] if "media_id" in added else [])
            if "url" in added:
                ctx.urls.append(httpx.URL(added["url"]).raw_path.decode())
        video = upload(
            "/cgi-bin/material/add_material",
            "video",
            "video.mp4",
            description='{"title": "t", "introduction": "i"}',
        )
        ctx.ids["video"].extend([video["media_id"]] if "media_id" in video else [])
        for media_type, name in (
            ("image", "image.png"),
            ("voice", "voice-2s.amr"),
            ("thumb", "thumb.jpg"),
        ):
            temp = upload("/cgi-bin/media/upload", media_type, name)
            media_id = temp.get("media_id") or temp.get("thumb_media_id")
            ctx.ids["temp"].extend([media_id] if media_id else [])
        temp_video = upload("/cgi-bin/media/upload", "video", "video.mp4")
        ctx.ids["video_temp"].extend([temp_video["media_id"]] if "media_id" in temp_video else [])
        uploaded = client.post(
            "/cgi-bin/media/uploadimg",
            params=auth,
            files={"media": ("i.png", ctx.media["image.png"])},
        ).json()
        if "url" in uploaded:
            ctx.urls.append(httpx.URL(uploaded["url"]).raw_path.decode())
        rng = random.Random(0)
        for _ in range(3):
            draft = client.post(
                "/cgi-bin/draft/add", params=auth, json={"articles": [article(ctx, rng)]}
            ).json()
            ctx.ids["draft"].extend([draft["media_id"]] if "media_id" in draft else [])
        if ctx.ids["draft"]:
            body = {"media_id": ctx.ids["draft"][0]}
            submitted = client.post("/cgi-bin/freepublish/submit", params=auth, json=body).json()
            if "publish_id" in submitted:
                ctx.ids["publish"].append(str(submitted["publish_id"]))
                # Publishing takes the sandbox a minute of its clock.
                client.post("/_sandbox/clock/advance", json={"seconds": 61})
                got = client.post(
                    "/cgi-bin/freepublish/get",
                    params=auth,
                    json={"publish_id": submitted["publish_id"]},
                ).json()
                if got.get("article_id"):
                    ctx.ids["article"].append(got["article_id"])
                for item in (got.get("article_detail") or {}).get("item", []):
                    ctx.urls.append(httpx.URL(item["article_url"]).raw_path.decode())
        voice = client.post(
            f"/_sandbox/accounts/{MAIN[0]}/jssdk_voice",
            content=ctx.media.get("voice-2s.amr", b""),
            headers={"Content-Type": "application/octet-stream"},
        ).json()
        ctx.ids["jssdk"].extend([voice["media_id"]] if "media_id" in voice else [])
        ctx.ids["news"].append("unknown-news-id")
    return ctx
