"""``python -m wechat_material.sandbox``: run the sandbox in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

from wechat_material.sandbox.connections import ServerLimits
from wechat_material.sandbox.server import serve
from wechat_material.sandbox.state.data_dir_lock import SandboxInUseError


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m wechat_material.sandbox",
        description="A local, stateful emulator of the WeChat material API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8900, help="port (default 8900; 0: any free)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="keep state here (default: user data dir)")
    where.add_argument("--memory", action="store_true", help="keep state in memory only")
    parser.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="APPID:SECRET",
        help="an account to create (repeatable; default: the demo account)",
    )
    parser.add_argument(
        "--frozen-clock",
        action="store_true",
        help="time moves only through the admin API (default: it follows real time)",
    )
    parser.add_argument("--seed", type=int, help="make ids and faults reproducible")
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="admin API calls must send 'Authorization: Bearer TOKEN' (default: "
        "$WXM_SANDBOX_ADMIN_TOKEN; off loopback, a new one is printed)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="another Host the admin API answers to (repeatable)",
    )
    parser.add_argument(
        "--news-api",
        choices=("retired", "legacy"),
        default="retired",
        help="add_news/update_news: 'retired' answers 45106 as WeChat does (default); "
        "'legacy' keeps them working",
    )
    defaults = ServerLimits()
    parser.add_argument(
        "--keep-alive-timeout",
        type=int,
        default=defaults.keep_alive_seconds,
        metavar="SECONDS",
        help="close idle kept-alive connections after this "
        f"(default {defaults.keep_alive_seconds})",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=defaults.header_seconds,
        metavar="SECONDS",
        help="close connections whose request headers take longer "
        f"(default {defaults.header_seconds:g})",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=defaults.max_connections,
        metavar="N",
        help=f"answer HTTP 503 past this many connections (default {defaults.max_connections})",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=defaults.body_seconds,
        metavar="SECONDS",
        help="answer HTTP 408 to a request whose body takes longer after its headers "
        f"(default {defaults.body_seconds:g})",
    )
    parser.add_argument(
        "--max-connections-per-client",
        type=int,
        default=defaults.max_connections_per_client,
        metavar="N",
        help="answer HTTP 503 past this many connections from one address "
        f"(default {defaults.max_connections_per_client})",
    )
    parser.add_argument(
        "--http",
        choices=("auto", "h11", "httptools"),
        default=defaults.http,
        help="HTTP/1.1 parser: httptools (compiled), h11 (pure Python), "
        "or auto: httptools when installed (default)",
    )
    args = parser.parse_args(argv)
    try:
        limits = ServerLimits(
            keep_alive_seconds=args.keep_alive_timeout,
            header_seconds=args.header_timeout,
            max_connections=args.max_connections,
            body_seconds=args.body_timeout,
            max_connections_per_client=args.max_connections_per_client,
            http=args.http,
        )
        serve(
            args.host,
            args.port,
            args.data_dir,
            args.memory,
            args.account,
            clock="frozen" if args.frozen_clock else "running",
            seed=args.seed,
            admin_token=args.admin_token,
            allowed_hosts=args.allowed_host,
            news_api=args.news_api,
            limits=limits,
        )
    except SandboxInUseError as error:
        parser.exit(1, f"{parser.prog}: {error}\n")
    except (ValueError, OSError) as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
