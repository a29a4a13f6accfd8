"""``python -m wechat_material.sandbox``: run the sandbox in the foreground."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    args = parser.parse_args(argv)
    try:
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
        )
    except SandboxInUseError as error:
        parser.exit(1, f"{parser.prog}: {error}\n")
    except (ValueError, OSError) as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
