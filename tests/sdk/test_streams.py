"""``stream_*`` methods: they raise an error met half-way, and end when the list does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wechat_material import MaterialItem, SystemBusyError
from wechat_material._calls import material_page_call
from wechat_material._drivers import Stepper
from wechat_material._flow import pages
from wechat_material._steps import Emit, Perform
from wechat_material.models import Page

from .harness import Both

BATCHGET = "/cgi-bin/material/batchget_material"


async def next_item(wx: Both, stream: Any) -> Any:
    """The next item of a sync or async stream."""
    if hasattr(stream, "__anext__"):
        return await stream.__anext__()
    return await wx(next, stream)


async def add_images(wx: Both, media: Path, count: int) -> list[str]:
    image = (media / "image.png").read_bytes()
    added = []
    for n in range(count):
        added.append(await wx(wx.client.material.add_material, "image", image, f"p{n}.png"))
    return [item.media_id for item in added]


@pytest.mark.anyio
async def test_an_error_on_a_later_page_is_raised_not_swallowed(wx: Both, media: Path) -> None:
    await add_images(wx, media, 3)
    stream = wx.client.material.stream_get_material("image", page_size=1)

    first = await next_item(wx, stream)
    assert isinstance(first, MaterialItem)
    # The second page fails for longer than the client retries.
    await wx(wx.admin.set_faults, BATCHGET, error_rate=1.0, count=3)

    with pytest.raises(SystemBusyError):
        await next_item(wx, stream)
    assert await wx.calls_to(BATCHGET) == 1 + 3


@pytest.mark.anyio
async def test_items_deleted_while_paging_end_the_stream_quietly(wx: Both, media: Path) -> None:
    await add_images(wx, media, 6)
    stream = wx.client.material.stream_get_material("image", page_size=2)
    seen = [await next_item(wx, stream), await next_item(wx, stream)]

    # Everything not read yet goes away before the next page is asked for.
    for media_id in {item.media_id for item in await all_images(wx)} - {i.media_id for i in seen}:
        await wx(wx.client.material.del_material, media_id)
    rest = await wx.collect(stream)

    assert rest == []
    assert await wx.calls_to(BATCHGET) == 2 + 1  # two pages streamed, one read by all_images


async def all_images(wx: Both) -> list[MaterialItem]:
    page = await wx(wx.client.material.batch_get_material, "image", 0, 20)
    return list(page.items)


def run_paging(pages_served: list[Page[Any]]) -> tuple[list[Any], int]:
    """Run the paging operation, answering its calls with ``pages_served``.

    What it emitted, and how many pages it asked for.
    """
    emitted: list[Any] = []
    asked = 0

    def answer(step: Any) -> Any:
        nonlocal asked
        if isinstance(step, Emit):
            emitted.append(step.item)
            return None
        assert isinstance(step, Perform)
        asked += 1
        return pages_served[asked - 1]

    with Stepper(pages(material_page_call("image"), page_size=2)) as stepper:
        stepper.run(answer)
    return emitted, asked


def page(total: int, *names: str) -> Page[Any]:
    items = [{"media_id": f"id-{n}", "name": n} for n in names]
    return Page[MaterialItem].model_validate(
        {"total_count": total, "item_count": len(items), "item": items}
    )


def test_an_empty_page_ends_the_stream_even_before_total_count() -> None:
    # WeChat's total_count can lag behind deletions: the list claims 10 items,
    # then has none left from offset 2.
    emitted, asked = run_paging([page(10, "a", "b"), page(10)])

    assert [item.name for item in emitted] == ["a", "b"]
    assert asked == 2


def test_paging_stops_at_total_count_without_asking_for_an_empty_page() -> None:
    emitted, asked = run_paging([page(3, "a", "b"), page(3, "c")])

    assert [item.name for item in emitted] == ["a", "b", "c"]
    assert asked == 2
