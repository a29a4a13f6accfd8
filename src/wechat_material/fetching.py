"""Fetch a URL found in content, only from hosts that should serve it.

A picture's address in an article or a post is data, not an instruction: a
backup or a publish that fetched whatever it found could be pointed at the
machine's own services (``http://127.0.0.1:6379``), at a cloud's metadata
address (``http://169.254.169.254/``) or, through a redirect, anywhere else.
Every URL therefore goes through one policy:

- ``http`` and ``https`` only, with no user name or password in the URL;
- the host is one the caller allows (``FetchPolicy.hosts``) or trusts
  (``FetchPolicy.trusted_hosts``); a host trusted on one port only
  (``host:port``) is refused on every other, which is another service;
- every address the host resolves to is public: loopback, private,
  link-local, unique-local, multicast, reserved and unspecified addresses are
  refused unless ``allow_private`` is set or the host is a trusted one (the
  sandbox's);
- the connection goes to the address that was checked, not to a second
  look-up of the name, so a name that changes its answer cannot slip through;
- redirects are followed here, at most ``max_redirects``, each hop checked
  again; the whole fetch takes at most ``timeout`` seconds and
  ``max_bytes`` bytes, counted while the body streams.

>>> policy = FetchPolicy.wechat_pictures("https://api.weixin.qq.com")
>>> picture = fetch("https://mmbiz.qpic.cn/mmbiz_jpg/abc/0", policy, httpx.Client())

Refusals raise :class:`~wechat_material.errors.URLRefusedError`; a fetch that
failed on the network or got an HTTP error raises
:class:`~wechat_material.errors.TransportError`. Both name the URL as given.

The checks live in one flow that both drivers run. Only the async driver
(``_drive_async``, ``_lookup_async``) is written by hand: its sync twin, at the
end of the module, is made from it by ``scripts/unasync.py``.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import urljoin, urlsplit, urlunsplit

import anyio
import httpx

from wechat_material.errors import TransportError, URLRefusedError

WECHAT_PICTURE_DOMAINS = ("qpic.cn", "qlogo.cn")
"""WeChat serves article pictures from these domains and their sub-domains
(``mmbiz.qpic.cn``, ``mmbiz.qlogo.cn``, ``mmsns.qpic.cn``...)."""

MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 10.0

_SCHEMES = ("http", "https")
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_wechat_picture_host(host: str) -> bool:
    """Whether ``host`` is one of WeChat's picture hosts (``*.qpic.cn``, ``*.qlogo.cn``)."""
    name = host.lower().rstrip(".")
    return any(name == domain or name.endswith("." + domain) for domain in WECHAT_PICTURE_DOMAINS)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to bind or reach) stays on this machine.

    ``localhost`` in any case, and every loopback address (``127.0.0.0/8``, ``::1``,
    in brackets or not); any other name is not, whatever it may resolve to.
    """
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_port(host: str, port: int) -> str:
    """``host:port`` as :attr:`FetchPolicy.trusted_hosts` spells it (``[::1]:8123`` for IPv6)."""
    name = host.lower().rstrip(".")
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


def _default_port(scheme: str) -> int:
    return 443 if scheme.lower() == "https" else 80


def service_of(base_url: str) -> str | None:
    """The ``host:port`` of ``base_url`` (the port filled in from the scheme), or None.

    What a policy trusts for the API in use: that service, not its whole host.
    """
    base = urlsplit(base_url)
    if not base.hostname:
        return None
    return host_port(base.hostname, base.port or _default_port(base.scheme))


@dataclass(frozen=True)
class FetchPolicy:
    """What may be fetched: which hosts, which addresses, how far, how much.

    ``hosts`` decides by host name (lower case); ``None`` lets any host
    through to the address check. ``trusted_hosts`` are allowed whatever
    ``hosts`` says and exempt from the address check (the sandbox on
    127.0.0.1): an entry ``host:port`` (``[::1]:8123`` for IPv6, see
    :func:`host_port`) trusts that port only, and then the host on any other
    port is refused, since another port of one machine is another service
    (a database on 127.0.0.1); a bare ``host`` trusts every port of it.
    ``private_hint`` is added to the message of an address refusal, to say
    how to allow it.
    """

    hosts: Callable[[str], bool] | None = None
    trusted_hosts: frozenset[str] = frozenset()
    allow_private: bool = False
    max_redirects: int = MAX_REDIRECTS
    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT
    private_hint: str = field(default="", compare=False)

    @classmethod
    def wechat_pictures(cls, api_base_url: str, **options: object) -> FetchPolicy:
        """WeChat's picture hosts, and the host and port of the API base URL in use (trusted).

        The second is the sandbox when the client talks to one, which serves
        the pictures of its articles itself; the same host on another port is
        refused.
        """
        trusted = service_of(api_base_url)
        return cls(
            hosts=is_wechat_picture_host,
            trusted_hosts=frozenset({trusted}) if trusted else frozenset(),
            **options,  # type: ignore[arg-type]
        )

    def trusts(self, host: str, port: int) -> bool:
        """Whether ``host`` on ``port`` is one of :attr:`trusted_hosts`."""
        name = host.lower().rstrip(".")
        return name in self.trusted_hosts or host_port(name, port) in self.trusted_hosts

    def trusted_ports(self, host: str) -> list[str]:
        """The ports ``host`` is trusted on alone (none when it is trusted on none or on all)."""
        prefix = host_port(host, 0)[:-1]  # "host:" or "[host]:"
        return sorted(t.removeprefix(prefix) for t in self.trusted_hosts if t.startswith(prefix))

    def check_url(self, url: str) -> None:
        """Raise :class:`URLRefusedError` if ``url`` may not be fetched (no I/O)."""
        _Target.of(url, self, _Refuse(url, url))

    def allows(self, url: str) -> bool:
        """Whether :meth:`check_url` lets ``url`` through."""
        try:
            self.check_url(url)
        except URLRefusedError:
            return False
        return True


@dataclass(frozen=True)
class Fetched:
    """What a fetch brought back: the final URL (after redirects), bytes, content type."""

    url: str
    data: bytes
    content_type: str


@dataclass(frozen=True)
class _Refuse:
    """Makes the refusal of one hop: the URL as given, and the hop it was sent on to."""

    url: str
    hop: str

    def __call__(self, reason: str) -> URLRefusedError:
        where = self.url if self.hop == self.url else f"{self.url} (redirected to {self.hop})"
        return URLRefusedError(f"{where}: {reason}", url=self.url)


@dataclass(frozen=True)
class _Target:
    """One hop's URL, checked by the policy's rules that need no network."""

    url: str
    host: str
    port: int
    literal: IPAddress | None
    trusted: bool

    @classmethod
    def of(cls, url: str, policy: FetchPolicy, refuse: _Refuse) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise refuse("not a valid URL") from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            what = f"a {scheme}: URL" if scheme else "not an http or https URL"
            raise refuse(f"{what}; only http and https are fetched")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise refuse("the URL names no host")
        if parts.username is not None or parts.password is not None:
            raise refuse("a URL with a user name or password is not fetched")
        port = port or _default_port(scheme)
        trusted = policy.trusts(host, port)
        # Another port of a trusted host is another service: refused, unless
        # private addresses are allowed outright (then it is judged like any host).
        if not trusted and not policy.allow_private and (ports := policy.trusted_ports(host)):
            raise refuse(
                f"port {port} of {host} is not trusted (only {', '.join(ports)}): "
                "another port of a host is another service"
            )
        if policy.hosts is not None and not trusted and not policy.hosts(host):
            raise refuse(f"{host} is not a host pictures are fetched from")
        literal = _literal(host)
        if literal is not None and not trusted:
            _check_address(literal, policy, host, refuse)
        return cls(url, host, port, literal, trusted)

    @property
    def needs_lookup(self) -> bool:
        return self.literal is None and not self.trusted


def _literal(host: str) -> IPAddress | None:
    """The address ``host`` spells out, if it is one."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _address_kind(address: IPAddress) -> str | None:
    """What makes ``address`` one that content may not send us to, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return _address_kind(address.ipv4_mapped)
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv6Address) and address in _UNIQUE_LOCAL:
        return "a unique-local address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    if not address.is_global:
        return "not a public address"
    return None


_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


def _check_address(address: IPAddress, policy: FetchPolicy, host: str, refuse: _Refuse) -> None:
    if policy.allow_private:
        return
    kind = _address_kind(address)
    if kind is None:
        return
    if _literal(host) == address:
        reason = f"{host} is {kind}"
    else:
        reason = f"{host} resolves to {address}, {kind}"
    if policy.private_hint:
        reason += f" ({policy.private_hint})"
    raise refuse(reason)


@dataclass(frozen=True)
class _Lookup:
    """A step of the flow: resolve this host, answer with its addresses."""

    host: str
    port: int


def _addresses(infos: list[tuple[object, ...]]) -> list[IPAddress]:
    found: dict[IPAddress, None] = {}
    for info in infos:
        sockaddr = info[4]
        assert isinstance(sockaddr, tuple)
        found[ipaddress.ip_address(str(sockaddr[0]).split("%")[0])] = None
    return list(found)


def _pinned_request(
    client: httpx.Client | httpx.AsyncClient, target: _Target, address: IPAddress | None
) -> httpx.Request:
    """A GET of the target's URL, sent to ``address`` when one was checked."""
    parts = urlsplit(target.url)
    if address is None:
        return client.build_request("GET", target.url)
    netloc = f"[{address}]" if address.version == 6 else str(address)
    if parts.port is not None:
        netloc += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.netloc.rpartition("@")[2]
    extensions = {"sni_hostname": target.host} if parts.scheme.lower() == "https" else {}
    return client.build_request("GET", pinned, headers={"Host": host_header}, extensions=extensions)


def _flow(
    url: str, policy: FetchPolicy, client: httpx.Client | httpx.AsyncClient
) -> Generator[_Lookup | httpx.Request, object, None]:
    """The hops of one fetch: look-ups and requests out, their answers back in.

    Ends when the response last sent in is not a redirect: its body is the
    one to read. The drivers below do the I/O, sync or async.
    """
    current = url
    for hop in range(policy.max_redirects + 1):
        refuse = _Refuse(url, current)
        target = _Target.of(current, policy, refuse)
        address: IPAddress | None = target.literal
        if target.needs_lookup:
            found = yield _Lookup(target.host, target.port)
            assert isinstance(found, list)
            if not found:
                raise TransportError(f"{url}: {target.host} has no address")
            for candidate in found:
                _check_address(candidate, policy, target.host, refuse)
            address = found[0]
        response = yield _pinned_request(client, target, address)
        assert isinstance(response, httpx.Response)
        location = response.headers.get("location")
        if response.status_code not in _REDIRECTS or not location:
            _check_status(response, url)
            return
        if hop == policy.max_redirects:
            raise refuse(f"more than {policy.max_redirects} redirects")
        current = urljoin(current, location)


def _check_status(response: httpx.Response, url: str) -> None:
    if not response.is_success:
        raise TransportError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")


class _Budget:
    """The bytes and seconds one fetch may still spend."""

    def __init__(self, url: str, policy: FetchPolicy) -> None:
        self.url = url
        self.policy = policy
        self.deadline = time.monotonic() + policy.timeout
        self.size = 0

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(max(self.deadline - time.monotonic(), 0.001))

    def admit_headers(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise self.too_big()

    def admit(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        if self.size > self.policy.max_bytes:
            raise self.too_big()
        if time.monotonic() > self.deadline:
            raise self.too_slow()
        return chunk

    def too_big(self) -> URLRefusedError:
        limit = self.policy.max_bytes / (1024 * 1024)
        return URLRefusedError(f"{self.url}: larger than {limit:g} MB", url=self.url)

    def too_slow(self) -> URLRefusedError:
        return URLRefusedError(
            f"{self.url}: took longer than {self.policy.timeout:g} s", url=self.url
        )

    def failed(self, exc: httpx.HTTPError) -> Exception:
        if isinstance(exc, httpx.TimeoutException):
            return self.too_slow()
        return TransportError(f"{self.url}: could not fetch it ({type(exc).__name__})")


async def _lookup_async(step: _Lookup) -> list[IPAddress]:
    try:
        infos = await anyio.getaddrinfo(step.host, step.port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return _addresses(list(infos))


async def _drive_async(
    url: str, policy: FetchPolicy, client: httpx.AsyncClient, budget: _Budget
) -> httpx.Response:
    """Run the flow to its last response, opened for streaming (the caller closes it)."""
    flow = _flow(url, policy, client)
    answer: object = None
    response: httpx.Response | None = None
    try:
        while True:
            step = flow.send(answer)
            if isinstance(step, _Lookup):
                answer = await _lookup_async(step)
                continue
            if response is not None:
                await response.aclose()
            step.extensions["timeout"] = budget.timeout().as_dict()
            response = answer = await client.send(step, stream=True)
    except StopIteration:
        assert response is not None
        return response
    except BaseException:
        if response is not None:
            await response.aclose()
        raise


def _content_type(response: httpx.Response) -> str:
    declared: str = response.headers.get("content-type", "")
    return declared.split(";")[0].strip()


def fetch(url: str, policy: FetchPolicy, client: httpx.Client) -> Fetched:
    """The bytes at ``url``, fetched under ``policy`` with ``client``."""
    budget = _Budget(url, policy)
    try:
        response = _drive_sync(url, policy, client, budget)
        try:
            budget.admit_headers(response)
            data = b"".join(_admitted(response.iter_bytes(_CHUNK), budget))
        finally:
            response.close()
    except httpx.HTTPError as exc:
        raise budget.failed(exc) from None
    return Fetched(_final_url(url, response), data, _content_type(response))


def _admitted(chunks: Iterator[bytes], budget: _Budget) -> Iterator[bytes]:
    for chunk in chunks:
        yield budget.admit(chunk)


async def _fetch_into(
    url: str, policy: FetchPolicy, client: httpx.AsyncClient, write: Callable[[bytes], object]
) -> tuple[str, str]:
    budget = _Budget(url, policy)
    try:
        with anyio.fail_after(policy.timeout):
            response = await _drive_async(url, policy, client, budget)
            try:
                budget.admit_headers(response)
                async for chunk in response.aiter_bytes(_CHUNK):
                    write(budget.admit(chunk))
            finally:
                await response.aclose()
    except TimeoutError:
        raise budget.too_slow() from None
    except httpx.HTTPError as exc:
        raise budget.failed(exc) from None
    return _final_url(url, response), _content_type(response)


def _final_url(url: str, response: httpx.Response) -> str:
    """The URL as the last hop named it (not the checked address it was sent to)."""
    host: str | None = response.request.headers.get("host")
    if not host:
        return url
    parts = urlsplit(str(response.request.url))
    return urlunsplit((parts.scheme, host, parts.path, parts.query, ""))


async def afetch(url: str, policy: FetchPolicy, client: httpx.AsyncClient) -> Fetched:
    """The async :func:`fetch`."""
    parts: list[bytes] = []
    final, content_type = await _fetch_into(url, policy, client, parts.append)
    return Fetched(final, b"".join(parts), content_type)


async def afetch_to(
    url: str, policy: FetchPolicy, client: httpx.AsyncClient, file: BinaryIO
) -> tuple[str, int]:
    """Stream ``url`` into ``file``; return its content type and size in bytes."""
    start = file.tell()
    _final, content_type = await _fetch_into(url, policy, client, file.write)
    return content_type, file.tell() - start


# ---- generated by scripts/unasync.py from _lookup_async, _drive_async above: do not edit ----
def _lookup_sync(step: _Lookup) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(step.host, step.port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return _addresses(list(infos))


def _drive_sync(
    url: str, policy: FetchPolicy, client: httpx.Client, budget: _Budget
) -> httpx.Response:
    """Run the flow to its last response, opened for streaming (the caller closes it)."""
    flow = _flow(url, policy, client)
    answer: object = None
    response: httpx.Response | None = None
    try:
        while True:
            step = flow.send(answer)
            if isinstance(step, _Lookup):
                answer = _lookup_sync(step)
                continue
            if response is not None:
                response.close()
            step.extensions["timeout"] = budget.timeout().as_dict()
            response = answer = client.send(step, stream=True)
    except StopIteration:
        assert response is not None
        return response
    except BaseException:
        if response is not None:
            response.close()
        raise


# ---- end of generated code ----


__all__ = [
    "WECHAT_PICTURE_DOMAINS",
    "FetchPolicy",
    "Fetched",
    "afetch",
    "afetch_to",
    "fetch",
    "is_wechat_picture_host",
]
