"""Reading a whole list page by page: one flow for every ``stream_*`` method.

WeChat serves lists (material, drafts, published posts) 1 to 20 items a call.
The flow asks for pages from ``offset`` on and hands out the items one by one
until it has passed ``total_count`` or gets an empty page (the list shrank
while it was being read).

Unlike the Elixir library this API follows, which ends its stream quietly on
an error, these streams *raise* it: a backup or sync that stopped half-way
must not look like one that read everything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wechat_material._call import Call, Emit, Operation, Perform
from wechat_material._calls import args
from wechat_material.limits import PAGE_MAX
from wechat_material.models import Page


def pages(
    page_call: Callable[[int, int], Call[Page[Any]]],
    *,
    offset: int = 0,
    page_size: int = PAGE_MAX,
) -> Operation[None]:
    """Emit every item from ``offset`` to the end of the list (arguments checked now)."""
    args.page(offset, page_size)
    return _pages(page_call, offset, page_size)


def _pages(
    page_call: Callable[[int, int], Call[Page[Any]]], offset: int, page_size: int
) -> Operation[None]:
    while True:
        page: Page[Any] = yield Perform(page_call(offset, page_size))
        for item in page.items:
            yield Emit(item)
        offset += len(page.items)
        if not page.items or offset >= page.total_count:
            return
