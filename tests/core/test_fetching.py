"""The one policy for URLs found in content: which may be fetched, and how far.

Real loopback servers record what reaches them; a transport that fails the
test stands in wherever no connection may even be attempted.
"""

from __future__ import annotations

import http.server
import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from wechat_material.errors import TransportError, URLRefusedError, ValidationError
from wechat_material.fetching import (
    FetchPolicy,
    afetch,
    afetch_to,
    fetch,
    host_port,
    is_wechat_picture_host,
)

PICTURE = b"\xff\xd8\xff\xe0 a picture"


@dataclass
class Recorder:
    """A loopback HTTP server whose paths say what to answer, and which keeps every request."""

    port: int = 0
    seen: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


def _handler(recorder: Recorder) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            recorder.seen.append((self.path, self.headers.get("Host", "")))
            if self.path.startswith("/hop/"):
                left = int(self.path.split("/")[2])
                target = "/picture" if left == 0 else f"/hop/{left - 1}"
                self._answer(302, b"", location=target)
            elif self.path.startswith("/to/"):
                self._answer(302, b"", location=self.path[len("/to/") :])
            elif self.path == "/picture":
                self._answer(200, PICTURE, content_type="image/jpeg; charset=binary")
            elif self.path.startswith("/bytes/"):
                self._answer(200, b"x" * int(self.path.split("/")[2]))
            elif self.path.startswith("/chunked/"):
                self._chunked(int(self.path.split("/")[2]))
            elif self.path == "/stall":
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(3)
            else:
                self._answer(404, b"no")

        def _answer(
            self,
            status: int,
            body: bytes,
            *,
            location: str | None = None,
            content_type: str = "application/octet-stream",
        ) -> None:
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _chunked(self, size: int) -> None:
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, size, 4):
                piece = b"y" * min(4, size - start)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")

    return Handler


@pytest.fixture(scope="module")
def serving() -> Iterator[Recorder]:
    found = Recorder()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(found))
    server.daemon_threads = True
    found.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield found
    server.shutdown()
    server.server_close()


@pytest.fixture
def recorder(serving: Recorder) -> Recorder:
    serving.seen.clear()
    return serving


def _no_connection(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a connection was attempted to {request.url}")


@pytest.fixture
def forbidden() -> Iterator[httpx.Client]:
    with httpx.Client(transport=httpx.MockTransport(_no_connection)) as client:
        yield client


LOOPBACK_TRUSTED = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}))


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/hostname", "a file: URL; only http and https are fetched"),
        ("ftp://example.com/x.png", "a ftp: URL"),
        ("javascript:alert(1)", "a javascript: URL"),
        ("data:image/png;base64,AAAA", "a data: URL"),
        ("//example.com/x.png", "not an http or https URL"),
        ("http:///x.png", "the URL names no host"),
        ("http://user:pw@example.com/x.png", "a user name or password"),
        ("http://[::1/x.png", "not a valid URL"),
    ],
)
def test_only_plain_http_urls_are_fetched(url: str, says: str, forbidden: httpx.Client) -> None:
    with pytest.raises(URLRefusedError) as refused:
        fetch(url, FetchPolicy(), forbidden)
    assert says in str(refused.value)
    assert str(refused.value).startswith(f"{url}: ")
    assert refused.value.url == url
    assert isinstance(refused.value, ValidationError)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[fe80::1]/x", "fe80::1 is a link-local address"),
        ("http://[::1]:8080/x", "::1 is a loopback address"),
        ("http://127.0.0.1/x", "127.0.0.1 is a loopback address"),
        ("http://127.8.9.10/x", "127.8.9.10 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/x", "is a loopback address"),
        ("http://0.0.0.0/x", "0.0.0.0 is an unspecified address"),
        ("http://[::]/x", ":: is an unspecified address"),
        ("http://10.1.2.3/x", "10.1.2.3 is a private address"),
        ("http://172.16.0.9/x", "172.16.0.9 is a private address"),
        ("http://192.168.1.1/x", "192.168.1.1 is a private address"),
        ("http://[fd12:3456::1]/x", "fd12:3456::1 is a unique-local address"),
        ("http://224.0.0.1/x", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/x", "240.0.0.1 is a reserved address"),
        ("http://100.64.0.1/x", "100.64.0.1 is not a public address"),
    ],
)
def test_addresses_content_may_not_lead_to(url: str, kind: str, forbidden: httpx.Client) -> None:
    with pytest.raises(URLRefusedError) as refused:
        fetch(url, FetchPolicy(private_hint="use --allow-private-hosts to allow it"), forbidden)
    assert kind in str(refused.value)
    assert str(refused.value).endswith("(use --allow-private-hosts to allow it)")


def test_a_name_that_resolves_to_loopback_is_refused_before_any_connection(
    forbidden: httpx.Client,
) -> None:
    with pytest.raises(URLRefusedError, match=r"localhost resolves to .*a loopback address"):
        fetch("http://localhost:9/x", FetchPolicy(), forbidden)


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.1", "017700000001"])
def test_numeric_spellings_of_loopback_are_caught_by_their_address(
    spelling: str, forbidden: httpx.Client
) -> None:
    with pytest.raises(URLRefusedError, match="a loopback address"):
        fetch(f"http://{spelling}/x", FetchPolicy(), forbidden)


def test_by_default_nothing_reaches_a_loopback_server(recorder: Recorder) -> None:
    with httpx.Client() as client, pytest.raises(URLRefusedError):
        fetch(recorder.url("/picture"), FetchPolicy(), client)
    assert recorder.seen == []


def test_allowing_private_hosts_reaches_it(recorder: Recorder) -> None:
    with httpx.Client() as client:
        got = fetch(recorder.url("/picture"), FetchPolicy(allow_private=True), client)
    assert got.data == PICTURE
    assert got.content_type == "image/jpeg"
    assert got.url == recorder.url("/picture")
    assert recorder.seen == [("/picture", f"127.0.0.1:{recorder.port}")]


def test_a_trusted_host_is_fetched_from_and_its_name_kept(recorder: Recorder) -> None:
    with httpx.Client() as client:
        got = fetch(recorder.url("/picture"), LOOPBACK_TRUSTED, client)
    assert got.data == PICTURE


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
    recorder: Recorder,
) -> None:
    url = recorder.url("/picture", host="localhost")
    with httpx.Client() as client:
        got = fetch(url, FetchPolicy(allow_private=True), client)
    assert got.data == PICTURE
    assert got.url == url
    assert recorder.seen == [("/picture", f"localhost:{recorder.port}")]


def test_a_redirect_to_an_untrusted_loopback_name_is_refused_before_it_is_followed(
    recorder: Recorder,
) -> None:
    onward = recorder.url("/picture", host="localhost")
    with httpx.Client() as client, pytest.raises(URLRefusedError) as refused:
        fetch(recorder.url(f"/to/{onward}"), LOOPBACK_TRUSTED, client)
    assert f"(redirected to {onward}): localhost resolves to" in str(refused.value)
    assert [path for path, _host in recorder.seen] == [f"/to/{onward}"]


def test_a_redirect_to_another_host_is_checked_against_the_host_rule(recorder: Recorder) -> None:
    policy = FetchPolicy.wechat_pictures(f"http://127.0.0.1:{recorder.port}")
    onward = "http://example.com/x.png"
    with httpx.Client() as client, pytest.raises(URLRefusedError, match=r"example\.com is not"):
        fetch(recorder.url(f"/to/{onward}"), policy, client)
    assert len(recorder.seen) == 1


def test_three_redirects_are_followed_and_a_fourth_is_not(recorder: Recorder) -> None:
    with httpx.Client() as client:
        assert fetch(recorder.url("/hop/2"), LOOPBACK_TRUSTED, client).data == PICTURE
        recorder.seen.clear()
        with pytest.raises(URLRefusedError, match="more than 3 redirects"):
            fetch(recorder.url("/hop/3"), LOOPBACK_TRUSTED, client)
    assert [path for path, _host in recorder.seen] == ["/hop/3", "/hop/2", "/hop/1", "/hop/0"]


@pytest.mark.parametrize("shape", ["bytes", "chunked"])
def test_bytes_are_counted_with_or_without_a_declared_length(
    shape: str, recorder: Recorder
) -> None:
    policy = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}), max_bytes=10)
    with httpx.Client() as client:
        assert fetch(recorder.url(f"/{shape}/10"), policy, client).data in (b"x" * 10, b"y" * 10)
        with pytest.raises(URLRefusedError, match="larger than"):
            fetch(recorder.url(f"/{shape}/11"), policy, client)


def test_a_fetch_that_stalls_is_cut_off(recorder: Recorder) -> None:
    policy = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}), timeout=0.3)
    with httpx.Client() as client, pytest.raises(URLRefusedError, match=r"took longer than 0\.3 s"):
        fetch(recorder.url("/stall"), policy, client)


def test_an_http_error_is_a_transport_error_naming_the_url(recorder: Recorder) -> None:
    url = recorder.url("/missing")
    with httpx.Client() as client, pytest.raises(TransportError) as failed:
        fetch(url, LOOPBACK_TRUSTED, client)
    assert str(failed.value) == f"{url}: HTTP 404 Not Found"


def test_an_unreachable_host_is_a_transport_error(recorder: Recorder) -> None:
    with httpx.Client() as client, pytest.raises(TransportError, match="could not fetch it"):
        fetch("http://127.0.0.1:9/x", LOOPBACK_TRUSTED, client)


def test_a_name_without_an_address_is_a_transport_error() -> None:
    with httpx.Client() as client, pytest.raises(TransportError, match="has no address"):
        fetch("http://nohost.invalid/x", FetchPolicy(), client)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("mmbiz.qpic.cn", True),
        ("mmbiz.qlogo.cn", True),
        ("mmsns.qpic.cn", True),
        ("MMBIZ.QPIC.CN.", True),
        ("qpic.cn", True),
        ("mmbiz.qpic.cn.evil.com", False),
        ("evilqpic.cn", False),
        ("qlogo.cn.example", False),
        ("example.com", False),
    ],
)
def test_wechat_picture_hosts(host: str, allowed: bool) -> None:
    assert is_wechat_picture_host(host) is allowed


def test_the_picture_policy_allows_wechat_and_the_api_host_and_port_only() -> None:
    policy = FetchPolicy.wechat_pictures("http://127.0.0.1:8123/")
    assert policy.allows("https://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png")
    assert policy.allows("http://127.0.0.1:8123/_sandbox/pictures/1.png")
    assert not policy.allows("http://127.0.0.1:9999/other-port")
    assert not policy.allows("https://127.0.0.1/default-port")
    assert not policy.allows("http://localhost:8123/x")
    assert not policy.allows("https://example.com/x.png")
    assert not policy.allows("file:///etc/passwd")
    with pytest.raises(URLRefusedError, match=r"example\.com is not a host pictures are fetched"):
        policy.check_url("https://example.com/x.png")


@pytest.mark.parametrize(
    ("base", "url", "allowed"),
    [
        ("https://api.weixin.qq.com", "https://api.weixin.qq.com/x.png", True),
        ("https://api.weixin.qq.com", "https://API.weixin.qq.com.:443/x.png", True),
        ("https://api.weixin.qq.com", "https://api.weixin.qq.com:8443/x.png", False),
        ("https://api.weixin.qq.com", "http://api.weixin.qq.com/x.png", False),
        ("http://127.0.0.1:8123", "http://127.0.0.1:6379/", False),
        ("http://[::1]:8123/", "http://[::1]:8123/x.png", True),
        ("http://[::1]:8123/", "http://[::1]:8124/x.png", False),
        ("http://localhost:8123/", "http://localhost/x.png", False),
    ],
)
def test_a_trusted_host_is_trusted_on_its_port_only(base: str, url: str, allowed: bool) -> None:
    assert FetchPolicy.wechat_pictures(base).allows(url) is allowed


def test_another_port_of_a_trusted_host_is_refused_saying_why() -> None:
    policy = FetchPolicy(trusted_hosts=frozenset({host_port("127.0.0.1", 8123)}))
    assert policy.trusts("127.0.0.1", 8123)
    assert not policy.trusts("127.0.0.1", 6379)
    with pytest.raises(URLRefusedError) as refused:
        policy.check_url("http://127.0.0.1:6379/")
    assert str(refused.value) == (
        "http://127.0.0.1:6379/: port 6379 of 127.0.0.1 is not trusted (only 8123): "
        "another port of a host is another service"
    )
    # A bare host stays trusted on every port.
    assert FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"})).allows("http://127.0.0.1:6379/")
    # Private addresses allowed outright: another port is judged like any host.
    opened = FetchPolicy(trusted_hosts=policy.trusted_hosts, allow_private=True)
    assert opened.allows("http://127.0.0.1:6379/")
    assert not FetchPolicy.wechat_pictures("http://127.0.0.1:8123", allow_private=True).allows(
        "http://127.0.0.1:6379/"
    )


def test_a_redirect_to_another_port_of_the_trusted_host_is_refused(recorder: Recorder) -> None:
    policy = FetchPolicy.wechat_pictures(f"http://127.0.0.1:{recorder.port}")
    onward = "http://127.0.0.1:9/secret"
    refused = pytest.raises(URLRefusedError, match=r"port 9 of 127\.0\.0\.1 is not trusted")
    with httpx.Client() as client, refused:
        fetch(recorder.url(f"/to/{onward}"), policy, client)
    assert len(recorder.seen) == 1


@pytest.mark.anyio
async def test_the_async_fetches_keep_the_same_rules(recorder: Recorder) -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(URLRefusedError):
            await afetch(recorder.url("/picture"), FetchPolicy(), client)
        assert recorder.seen == []
        got = await afetch(recorder.url("/hop/1"), LOOPBACK_TRUSTED, client)
        assert (got.data, got.content_type) == (PICTURE, "image/jpeg")
        sink = io.BytesIO(b"old")
        sink.seek(3)
        assert await afetch_to(recorder.url("/picture"), LOOPBACK_TRUSTED, client, sink) == (
            "image/jpeg",
            len(PICTURE),
        )
        assert sink.getvalue() == b"old" + PICTURE
        small = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}), max_bytes=10)
        with pytest.raises(URLRefusedError, match="larger than"):
            await afetch_to(recorder.url("/chunked/40"), small, client, io.BytesIO())
        slow = FetchPolicy(trusted_hosts=frozenset({"127.0.0.1"}), timeout=0.3)
        with pytest.raises(URLRefusedError, match=r"took longer than 0\.3 s"):
            await afetch(recorder.url("/stall"), slow, client)
        with pytest.raises(URLRefusedError, match="a loopback address"):
            await afetch("http://localhost:9/x", FetchPolicy(), client)
