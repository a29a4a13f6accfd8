"""``client.publish``: publishing drafts (发布能力) and the published posts.

Publishing is asynchronous: :meth:`PublishAPI.submit` returns at once with a
``publish_id``; :meth:`PublishAPI.wait` polls until WeChat has decided.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from wechat_material import _calls as calls
from wechat_material._drivers import AsyncDriver, SyncDriver, with_doc_of
from wechat_material._flow import pages, wait_for_publish
from wechat_material.models import Page, PublishedItem, PublishedNews, PublishResult, Submission


class PublishAPI:
    """Publishing calls of a :class:`~wechat_material.WeChatClient`."""

    def __init__(self, driver: SyncDriver) -> None:
        self._driver = driver

    def submit(self, media_id: str) -> Submission:
        """Publish a draft (发布接口); WeChat publishes it in the background.

        >>> job = client.publish.submit(draft_id)
        >>> client.publish.wait(job.publish_id).article_urls
        """
        return self._driver.call(calls.publish_submit(media_id))

    def get(self, publish_id: str) -> PublishResult:
        """Where a publish stands (发布状态轮询接口): ``publish_status`` and, once done, links.

        >>> result = client.publish.get(job.publish_id)
        >>> result.publish_status, result.done
        """
        return self._driver.call(calls.publish_get(publish_id))

    def wait(
        self,
        publish_id: str,
        *,
        interval: float = 3.0,
        max_wait: float = 300.0,
        on_poll: Callable[[PublishResult], None] | None = None,
    ) -> PublishResult:
        """Poll :meth:`get` every ``interval`` seconds until the publish is no longer in progress.

        Returns the final state (check ``succeeded``); raises
        :class:`PublishTimeoutError` if it is still publishing after ``max_wait`` seconds.
        ``on_poll`` (optional) is called with each state read while it is still in
        progress: to show how long it has been waiting.

            >>> result = client.publish.wait(job.publish_id, max_wait=120)
            >>> result.succeeded, result.article_urls
        """
        return self._driver.run(wait_for_publish(publish_id, interval, max_wait, on_poll))

    def delete(self, article_id: str, index: int = 0) -> None:
        """Delete a published post (删除发布), or only its article ``index`` (1-based; 0: all).

        >>> client.publish.delete(result.article_id)
        >>> client.publish.get_article(result.article_id)  # now NotFoundError
        """
        return self._driver.call(calls.publish_delete(article_id, index))

    def get_article(self, article_id: str) -> PublishedNews:
        """Read a published post (通过 article_id 获取已发布文章).

        >>> post = client.publish.get_article(result.article_id)
        >>> [a.url for a in post.articles]
        """
        return self._driver.call(calls.publish_get_article(article_id))

    def batch_get(
        self, offset: int = 0, count: int = 20, no_content: bool = False
    ) -> Page[PublishedItem]:
        """One page (1 to 20) of published posts (获取成功发布列表).

        >>> page = client.publish.batch_get(0, 20, no_content=True)
        >>> [p.article_id for p in page.items]
        """
        return self._driver.call(calls.publish_batch_get(offset, count, no_content))

    def stream(
        self, *, no_content: bool = False, page_size: int = 20, offset: int = 0
    ) -> Iterator[PublishedItem]:
        """Every published post, read page by page as you iterate; raises on an error mid-way.

        >>> for post in client.publish.stream(no_content=True):
        ...     print(post.article_id)
        """
        operation = pages(calls.publish_page_call(no_content), offset=offset, page_size=page_size)
        return self._driver.iterate(operation)

    # Every list reads one page with ``batch_get*`` and all of them with
    # ``stream_get*`` (``client.material.stream_get_material``).
    stream_get = stream


class AsyncPublishAPI:
    """Publishing calls of an :class:`~wechat_material.AsyncWeChatClient` (``await`` them)."""

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver

    @with_doc_of(PublishAPI.submit)
    async def submit(self, media_id: str) -> Submission:
        return await self._driver.call(calls.publish_submit(media_id))

    @with_doc_of(PublishAPI.get)
    async def get(self, publish_id: str) -> PublishResult:
        return await self._driver.call(calls.publish_get(publish_id))

    @with_doc_of(PublishAPI.wait)
    async def wait(
        self,
        publish_id: str,
        *,
        interval: float = 3.0,
        max_wait: float = 300.0,
        on_poll: Callable[[PublishResult], None] | None = None,
    ) -> PublishResult:
        return await self._driver.run(wait_for_publish(publish_id, interval, max_wait, on_poll))

    @with_doc_of(PublishAPI.delete)
    async def delete(self, article_id: str, index: int = 0) -> None:
        return await self._driver.call(calls.publish_delete(article_id, index))

    @with_doc_of(PublishAPI.get_article)
    async def get_article(self, article_id: str) -> PublishedNews:
        return await self._driver.call(calls.publish_get_article(article_id))

    @with_doc_of(PublishAPI.batch_get)
    async def batch_get(
        self, offset: int = 0, count: int = 20, no_content: bool = False
    ) -> Page[PublishedItem]:
        return await self._driver.call(calls.publish_batch_get(offset, count, no_content))

    @with_doc_of(PublishAPI.stream)
    def stream(
        self, *, no_content: bool = False, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[PublishedItem]:
        operation = pages(calls.publish_page_call(no_content), offset=offset, page_size=page_size)
        return self._driver.iterate(operation)

    stream_get = stream
