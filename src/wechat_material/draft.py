"""``client.draft``: the draft box (草稿箱), where articles are written before publishing.

The draft box replaced ``add_news``/``update_news`` in 2022: add a draft, then
publish it with ``client.publish.submit``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence

from wechat_material import _calls as calls
from wechat_material._calls import ArticleInput
from wechat_material._drivers import AsyncDriver, SyncDriver, with_doc_of
from wechat_material._flow import pages
from wechat_material.models import Draft, NewsItem, Page


class DraftAPI:
    """Draft calls of a :class:`~wechat_material.WeChatClient`."""

    def __init__(self, driver: SyncDriver) -> None:
        self._driver = driver

    def add(self, articles: Sequence[ArticleInput]) -> str:
        """Create a draft of 1 to 8 articles (新建草稿); returns its ``media_id``.

        >>> article = Article(title="Hi", content="<p>…</p>", thumb_media_id=thumb_id)
            >>> draft_id = client.draft.add([article])
        >>> client.publish.submit(draft_id)
        """
        return self._driver.call(calls.draft_add(articles))

    def get(self, media_id: str) -> Draft:
        """Read a draft (获取草稿).

        >>> draft = client.draft.get(draft_id)
        >>> [a.title for a in draft.articles]
        """
        return self._driver.call(calls.draft_get(media_id))

    def delete(self, media_id: str) -> None:
        """Delete a draft (删除草稿).

        >>> client.draft.delete(draft_id)
        >>> client.draft.count()
        """
        return self._driver.call(calls.draft_delete(media_id))

    def update(self, media_id: str, index: int, article: ArticleInput) -> None:
        """Replace the article at ``index`` (0-based) of a draft (修改草稿).

        >>> article = client.draft.get(draft_id).articles[0]
        >>> client.draft.update(draft_id, 0, article.model_copy(update={"title": "New"}))
        """
        return self._driver.call(calls.draft_update(media_id, index, article))

    def count(self) -> int:
        """How many drafts there are (获取草稿总数).

        >>> client.draft.count()
        3
        """
        return self._driver.call(calls.draft_count())

    def batch_get(
        self, offset: int = 0, count: int = 20, no_content: bool = False
    ) -> Page[NewsItem]:
        """One page (1 to 20) of drafts (获取草稿列表); ``no_content`` leaves out the HTML.

        >>> page = client.draft.batch_get(0, 20, no_content=True)
        >>> page.total_count, [d.media_id for d in page.items]
        """
        return self._driver.call(calls.draft_batch_get(offset, count, no_content))

    def stream(
        self, *, no_content: bool = False, page_size: int = 20, offset: int = 0
    ) -> Iterator[NewsItem]:
        """Every draft, read page by page as you iterate; raises on an error mid-way.

        >>> for draft in client.draft.stream(no_content=True):
        ...     print(draft.media_id, draft.content.articles[0].title)
        """
        operation = pages(calls.draft_page_call(no_content), offset=offset, page_size=page_size)
        return self._driver.iterate(operation)

    # Every list reads one page with ``batch_get*`` and all of them with
    # ``stream_get*`` (``client.material.stream_get_material``).
    stream_get = stream


class AsyncDraftAPI:
    """Draft calls of an :class:`~wechat_material.AsyncWeChatClient` (``await`` them)."""

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver

    @with_doc_of(DraftAPI.add)
    async def add(self, articles: Sequence[ArticleInput]) -> str:
        return await self._driver.call(calls.draft_add(articles))

    @with_doc_of(DraftAPI.get)
    async def get(self, media_id: str) -> Draft:
        return await self._driver.call(calls.draft_get(media_id))

    @with_doc_of(DraftAPI.delete)
    async def delete(self, media_id: str) -> None:
        return await self._driver.call(calls.draft_delete(media_id))

    @with_doc_of(DraftAPI.update)
    async def update(self, media_id: str, index: int, article: ArticleInput) -> None:
        return await self._driver.call(calls.draft_update(media_id, index, article))

    @with_doc_of(DraftAPI.count)
    async def count(self) -> int:
        return await self._driver.call(calls.draft_count())

    @with_doc_of(DraftAPI.batch_get)
    async def batch_get(
        self, offset: int = 0, count: int = 20, no_content: bool = False
    ) -> Page[NewsItem]:
        return await self._driver.call(calls.draft_batch_get(offset, count, no_content))

    @with_doc_of(DraftAPI.stream)
    def stream(
        self, *, no_content: bool = False, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[NewsItem]:
        operation = pages(calls.draft_page_call(no_content), offset=offset, page_size=page_size)
        return self._driver.iterate(operation)

    stream_get = stream
