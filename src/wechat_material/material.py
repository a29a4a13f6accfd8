"""``client.material``: temporary media and permanent material (素材管理).

The method names follow the WeChat.Material module of the Elixir ``wechat``
library. Each method checks its arguments (and files) before sending, and returns a
typed result or raises a typed error (:mod:`wechat_material.errors`).

Only :class:`AsyncMaterialAPI` is written by hand: :class:`MaterialAPI`, at the
end of the module, is made from it by ``scripts/unasync.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO, Literal, overload

from wechat_material import _calls as calls
from wechat_material import _endpoints as ep
from wechat_material._calls import ArticleInput
from wechat_material._drivers import AsyncDriver, SyncDriver
from wechat_material._flow import download, download_to_stream, pages
from wechat_material.limits import MaterialType
from wechat_material.media_file import MediaFile
from wechat_material.models import (
    ArticleImage,
    MaterialCount,
    MaterialItem,
    NewsItem,
    NewsMaterial,
    Page,
    UploadedMaterial,
    UploadedMedia,
    VideoLink,
    VideoMaterial,
)
from wechat_material.uploads import FileInput

News = Literal[MaterialType.NEWS, "news"]
Files = Literal[
    MaterialType.IMAGE, MaterialType.VOICE, MaterialType.VIDEO, "image", "voice", "video"
]
PathInput = str | os.PathLike[str]


class AsyncMaterialAPI:
    """Material calls of :class:`~wechat_material.AsyncWeChatClient`: ``client.material``."""

    def __init__(self, driver: AsyncDriver) -> None:
        self._driver = driver

    async def upload_media(
        self, type: MaterialType | str, file: FileInput, filename: str | None = None
    ) -> UploadedMedia:
        """Upload temporary media (新增临时素材): image, voice, video or thumb, kept 3 days.

        The file is checked against the temporary-media limits before it is sent.

            >>> media = client.material.upload_media("image", "cat.jpg")
            >>> media.media_id, media.expires_at
        """
        return await self._driver.call(calls.upload_media(type, file, filename))

    async def get_media(self, media_id: str) -> MediaFile | VideoLink:
        """Read temporary media (获取临时素材): the file, or for a video a link to it.

        >>> media = client.material.get_media(media_id)
        >>> media.save("downloads/") if isinstance(media, MediaFile) else media.video_url
        """
        return await self._driver.call(calls.get_media(media_id))

    async def get_jssdk_media(self, media_id: str) -> MediaFile:
        """Read a high-quality voice recorded with the JS-SDK (高清语音素材获取接口, speex).

        >>> voice = client.material.get_jssdk_media(media_id)
        >>> voice.save("voice.speex")
        """
        return await self._driver.call(calls.get_jssdk_media(media_id))

    async def upload_image(self, file: FileInput, filename: str | None = None) -> ArticleImage:
        """Upload an image for use inside article HTML (上传图文消息内的图片获取URL).

        JPG or PNG under 1 MB; it does not count against the material cap.

            >>> image = client.material.upload_image("figure.png")
            >>> html = f'<img src="{image.url}">'
        """
        return await self._driver.call(calls.upload_image(file, filename))

    async def upload_news(self, articles: Sequence[ArticleInput]) -> UploadedMedia:
        """Upload temporary news for a mass send (上传图文消息素材), 1 to 8 articles.

        >>> article = Article(title="Hi", content="<p>…</p>", thumb_media_id=thumb_id)
            >>> news = client.material.upload_news([article])
        >>> news.media_id
        """
        return await self._driver.call(calls.upload_news(articles))

    async def upload_video(self, media_id: str, title: str, description: str) -> UploadedMedia:
        """Turn an uploaded temporary video into a mass-send video (上传视频素材, mpvideo).

        >>> video = client.material.upload_video(media.media_id, "Title", "What it shows")
        >>> video.media_id
        """
        return await self._driver.call(calls.upload_video(media_id, title, description))

    async def add_material(
        self,
        type: MaterialType | str,
        file: FileInput,
        filename: str | None = None,
        *,
        title: str | None = None,
        introduction: str | None = None,
    ) -> UploadedMaterial:
        """Add permanent material (新增永久素材): image, voice, video or thumb.

        A video needs ``title`` and ``introduction`` (or use :meth:`add_video_material`).
        ``url`` of the result is set for images.

            >>> image = client.material.add_material("image", "cover.jpg")
            >>> image.media_id, image.url
        """
        call = calls.add_material(type, file, filename, title=title, introduction=introduction)
        return await self._driver.call(call)

    async def add_video_material(
        self, file: FileInput, title: str, introduction: str, filename: str | None = None
    ) -> UploadedMaterial:
        """Add a permanent video (新增永久素材, type=video) with its title and introduction.

        >>> video = client.material.add_video_material("clip.mp4", "标题", "简介")
        >>> video.media_id
        """
        call = calls.add_material("video", file, filename, title=title, introduction=introduction)
        return await self._driver.call(call)

    async def add_news(self, articles: Sequence[ArticleInput]) -> UploadedMaterial:
        """Add a permanent news material (新增永久图文素材): retired by WeChat in 2022.

        WeChat answers 45103/45106; this raises :class:`RetiredAPIError`, whose
        hint points to ``client.draft.add`` and ``client.publish.submit``.

            >>> draft_id = client.draft.add(articles)  # what to use instead
            >>> client.publish.submit(draft_id)
        """
        return await self._driver.call(calls.add_news(articles))

    async def update_news(self, media_id: str, index: int, article: ArticleInput) -> None:
        """Edit one article of a news material (修改永久图文素材): retired, see :meth:`add_news`.

        >>> client.draft.update(draft_id, 0, article)  # what to use instead
        >>> client.draft.get(draft_id)
        """
        return await self._driver.call(calls.update_news(media_id, index, article))

    async def get_material(self, media_id: str) -> NewsMaterial | VideoMaterial | MediaFile:
        """Read permanent material (获取永久素材): what comes back depends on the id.

        A news id gives :class:`NewsMaterial`, a video :class:`VideoMaterial`
        (with ``down_url``), an image, voice or thumb the :class:`MediaFile`.

            >>> material = client.material.get_material(media_id)
            >>> material.save("out/") if isinstance(material, MediaFile) else material
        """
        return await self._driver.call(calls.get_material(media_id))

    @overload
    async def download_material(
        self, media_id: str, path: PathInput, *, overwrite: bool = True
    ) -> Path: ...
    @overload
    async def download_material(self, media_id: str, path: BinaryIO) -> int: ...
    async def download_material(
        self, media_id: str, path: PathInput | BinaryIO, *, overwrite: bool = True
    ) -> Path | int:
        """Save permanent material to ``path`` (a directory: under WeChat's file name).

        Streams to disk (a video is fetched from its ``down_url``) and appears
        atomically: on any error no file is left and a file that was there is
        untouched. Returns the file's path.

        A file path is replaced if it exists (keeping its permissions), unless
        ``overwrite=False`` (:class:`TargetExistsError`); a link to a file
        writes through to that file. In a directory, WeChat's name is made safe
        and never replaces a file: ``photo (1).jpg`` is taken instead. Devices,
        FIFOs, sockets and dangling links are refused (:class:`FileTargetError`).

        ``path`` may also be an open binary file (``sys.stdout.buffer``): the
        bytes are written to it, and the number written is returned.

            >>> client.material.download_material(media_id, "backup/")
            PosixPath('backup/<media_id>.jpg')
        """
        if isinstance(path, str | os.PathLike):
            return await self._driver.run(
                download(ep.MATERIAL_GET, media_id, path, overwrite=overwrite)
            )
        return await self._driver.run(download_to_stream(ep.MATERIAL_GET, media_id, path))

    @overload
    async def download_media(
        self, media_id: str, path: PathInput, *, overwrite: bool = True
    ) -> Path: ...
    @overload
    async def download_media(self, media_id: str, path: BinaryIO) -> int: ...
    async def download_media(
        self, media_id: str, path: PathInput | BinaryIO, *, overwrite: bool = True
    ) -> Path | int:
        """Save temporary media to ``path``, like :meth:`download_material`.

        >>> client.material.download_media(media_id, "voice.amr")
        PosixPath('voice.amr')
        """
        if isinstance(path, str | os.PathLike):
            return await self._driver.run(
                download(ep.MEDIA_GET, media_id, path, overwrite=overwrite)
            )
        return await self._driver.run(download_to_stream(ep.MEDIA_GET, media_id, path))

    async def del_material(self, media_id: str) -> None:
        """Delete permanent material (删除永久素材).

        >>> client.material.del_material(media_id)
        >>> client.material.get_material_count()
        """
        return await self._driver.call(calls.del_material(media_id))

    async def get_material_count(self) -> MaterialCount:
        """How many permanent images, voices, videos and news the account holds (获取素材总数).

        >>> count = client.material.get_material_count()
        >>> count.image_count
        """
        return await self._driver.call(calls.get_material_count())

    @overload
    async def batch_get_material(
        self, type: News, offset: int = 0, count: int = 20
    ) -> Page[NewsItem]: ...
    @overload
    async def batch_get_material(
        self, type: Files, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem]: ...
    @overload
    async def batch_get_material(
        self, type: MaterialType | str, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem] | Page[NewsItem]: ...
    async def batch_get_material(
        self, type: MaterialType | str, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem] | Page[NewsItem]:
        """One page (1 to 20 items) of permanent material of one type (获取素材列表).

        >>> page = client.material.batch_get_material("image", offset=0, count=20)
        >>> page.total_count, [item.name for item in page.items]
        """
        return await self._driver.call(calls.batch_get_material(type, offset, count))

    @overload
    def stream_get_material(
        self, type: News, *, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[NewsItem]: ...
    @overload
    def stream_get_material(
        self, type: Files, *, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[MaterialItem]: ...
    @overload
    def stream_get_material(
        self, type: MaterialType | str, *, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[MaterialItem | NewsItem]: ...
    def stream_get_material(
        self, type: MaterialType | str, *, page_size: int = 20, offset: int = 0
    ) -> AsyncIterator[MaterialItem | NewsItem]:
        """Every permanent material of one type, read page by page as you iterate.

        Raises on an error mid-way rather than ending early.

            >>> for item in client.material.stream_get_material("image"):
            ...     print(item.media_id, item.name)
        """
        page_call = calls.material_page_call(type)
        return self._driver.iterate(pages(page_call, offset=offset, page_size=page_size))

    # The verbs client.draft and client.publish use, for the same calls.
    delete = del_material
    batch_get = batch_get_material
    stream = stream_get_material


# ---- generated by scripts/unasync.py from AsyncMaterialAPI above: do not edit ----
class MaterialAPI:
    """Material calls of :class:`~wechat_material.WeChatClient`: ``client.material``."""

    def __init__(self, driver: SyncDriver) -> None:
        self._driver = driver

    def upload_media(
        self, type: MaterialType | str, file: FileInput, filename: str | None = None
    ) -> UploadedMedia:
        """Upload temporary media (新增临时素材): image, voice, video or thumb, kept 3 days.

        The file is checked against the temporary-media limits before it is sent.

            >>> media = client.material.upload_media("image", "cat.jpg")
            >>> media.media_id, media.expires_at
        """
        return self._driver.call(calls.upload_media(type, file, filename))

    def get_media(self, media_id: str) -> MediaFile | VideoLink:
        """Read temporary media (获取临时素材): the file, or for a video a link to it.

        >>> media = client.material.get_media(media_id)
        >>> media.save("downloads/") if isinstance(media, MediaFile) else media.video_url
        """
        return self._driver.call(calls.get_media(media_id))

    def get_jssdk_media(self, media_id: str) -> MediaFile:
        """Read a high-quality voice recorded with the JS-SDK (高清语音素材获取接口, speex).

        >>> voice = client.material.get_jssdk_media(media_id)
        >>> voice.save("voice.speex")
        """
        return self._driver.call(calls.get_jssdk_media(media_id))

    def upload_image(self, file: FileInput, filename: str | None = None) -> ArticleImage:
        """Upload an image for use inside article HTML (上传图文消息内的图片获取URL).

        JPG or PNG under 1 MB; it does not count against the material cap.

            >>> image = client.material.upload_image("figure.png")
            >>> html = f'<img src="{image.url}">'
        """
        return self._driver.call(calls.upload_image(file, filename))

    def upload_news(self, articles: Sequence[ArticleInput]) -> UploadedMedia:
        """Upload temporary news for a mass send (上传图文消息素材), 1 to 8 articles.

        >>> article = Article(title="Hi", content="<p>…</p>", thumb_media_id=thumb_id)
            >>> news = client.material.upload_news([article])
        >>> news.media_id
        """
        return self._driver.call(calls.upload_news(articles))

    def upload_video(self, media_id: str, title: str, description: str) -> UploadedMedia:
        """Turn an uploaded temporary video into a mass-send video (上传视频素材, mpvideo).

        >>> video = client.material.upload_video(media.media_id, "Title", "What it shows")
        >>> video.media_id
        """
        return self._driver.call(calls.upload_video(media_id, title, description))

    def add_material(
        self,
        type: MaterialType | str,
        file: FileInput,
        filename: str | None = None,
        *,
        title: str | None = None,
        introduction: str | None = None,
    ) -> UploadedMaterial:
        """Add permanent material (新增永久素材): image, voice, video or thumb.

        A video needs ``title`` and ``introduction`` (or use :meth:`add_video_material`).
        ``url`` of the result is set for images.

            >>> image = client.material.add_material("image", "cover.jpg")
            >>> image.media_id, image.url
        """
        call = calls.add_material(type, file, filename, title=title, introduction=introduction)
        return self._driver.call(call)

    def add_video_material(
        self, file: FileInput, title: str, introduction: str, filename: str | None = None
    ) -> UploadedMaterial:
        """Add a permanent video (新增永久素材, type=video) with its title and introduction.

        >>> video = client.material.add_video_material("clip.mp4", "标题", "简介")
        >>> video.media_id
        """
        call = calls.add_material("video", file, filename, title=title, introduction=introduction)
        return self._driver.call(call)

    def add_news(self, articles: Sequence[ArticleInput]) -> UploadedMaterial:
        """Add a permanent news material (新增永久图文素材): retired by WeChat in 2022.

        WeChat answers 45103/45106; this raises :class:`RetiredAPIError`, whose
        hint points to ``client.draft.add`` and ``client.publish.submit``.

            >>> draft_id = client.draft.add(articles)  # what to use instead
            >>> client.publish.submit(draft_id)
        """
        return self._driver.call(calls.add_news(articles))

    def update_news(self, media_id: str, index: int, article: ArticleInput) -> None:
        """Edit one article of a news material (修改永久图文素材): retired, see :meth:`add_news`.

        >>> client.draft.update(draft_id, 0, article)  # what to use instead
        >>> client.draft.get(draft_id)
        """
        return self._driver.call(calls.update_news(media_id, index, article))

    def get_material(self, media_id: str) -> NewsMaterial | VideoMaterial | MediaFile:
        """Read permanent material (获取永久素材): what comes back depends on the id.

        A news id gives :class:`NewsMaterial`, a video :class:`VideoMaterial`
        (with ``down_url``), an image, voice or thumb the :class:`MediaFile`.

            >>> material = client.material.get_material(media_id)
            >>> material.save("out/") if isinstance(material, MediaFile) else material
        """
        return self._driver.call(calls.get_material(media_id))

    @overload
    def download_material(
        self, media_id: str, path: PathInput, *, overwrite: bool = True
    ) -> Path: ...
    @overload
    def download_material(self, media_id: str, path: BinaryIO) -> int: ...
    def download_material(
        self, media_id: str, path: PathInput | BinaryIO, *, overwrite: bool = True
    ) -> Path | int:
        """Save permanent material to ``path`` (a directory: under WeChat's file name).

        Streams to disk (a video is fetched from its ``down_url``) and appears
        atomically: on any error no file is left and a file that was there is
        untouched. Returns the file's path.

        A file path is replaced if it exists (keeping its permissions), unless
        ``overwrite=False`` (:class:`TargetExistsError`); a link to a file
        writes through to that file. In a directory, WeChat's name is made safe
        and never replaces a file: ``photo (1).jpg`` is taken instead. Devices,
        FIFOs, sockets and dangling links are refused (:class:`FileTargetError`).

        ``path`` may also be an open binary file (``sys.stdout.buffer``): the
        bytes are written to it, and the number written is returned.

            >>> client.material.download_material(media_id, "backup/")
            PosixPath('backup/<media_id>.jpg')
        """
        if isinstance(path, str | os.PathLike):
            return self._driver.run(download(ep.MATERIAL_GET, media_id, path, overwrite=overwrite))
        return self._driver.run(download_to_stream(ep.MATERIAL_GET, media_id, path))

    @overload
    def download_media(self, media_id: str, path: PathInput, *, overwrite: bool = True) -> Path: ...
    @overload
    def download_media(self, media_id: str, path: BinaryIO) -> int: ...
    def download_media(
        self, media_id: str, path: PathInput | BinaryIO, *, overwrite: bool = True
    ) -> Path | int:
        """Save temporary media to ``path``, like :meth:`download_material`.

        >>> client.material.download_media(media_id, "voice.amr")
        PosixPath('voice.amr')
        """
        if isinstance(path, str | os.PathLike):
            return self._driver.run(download(ep.MEDIA_GET, media_id, path, overwrite=overwrite))
        return self._driver.run(download_to_stream(ep.MEDIA_GET, media_id, path))

    def del_material(self, media_id: str) -> None:
        """Delete permanent material (删除永久素材).

        >>> client.material.del_material(media_id)
        >>> client.material.get_material_count()
        """
        return self._driver.call(calls.del_material(media_id))

    def get_material_count(self) -> MaterialCount:
        """How many permanent images, voices, videos and news the account holds (获取素材总数).

        >>> count = client.material.get_material_count()
        >>> count.image_count
        """
        return self._driver.call(calls.get_material_count())

    @overload
    def batch_get_material(
        self, type: News, offset: int = 0, count: int = 20
    ) -> Page[NewsItem]: ...
    @overload
    def batch_get_material(
        self, type: Files, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem]: ...
    @overload
    def batch_get_material(
        self, type: MaterialType | str, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem] | Page[NewsItem]: ...
    def batch_get_material(
        self, type: MaterialType | str, offset: int = 0, count: int = 20
    ) -> Page[MaterialItem] | Page[NewsItem]:
        """One page (1 to 20 items) of permanent material of one type (获取素材列表).

        >>> page = client.material.batch_get_material("image", offset=0, count=20)
        >>> page.total_count, [item.name for item in page.items]
        """
        return self._driver.call(calls.batch_get_material(type, offset, count))

    @overload
    def stream_get_material(
        self, type: News, *, page_size: int = 20, offset: int = 0
    ) -> Iterator[NewsItem]: ...
    @overload
    def stream_get_material(
        self, type: Files, *, page_size: int = 20, offset: int = 0
    ) -> Iterator[MaterialItem]: ...
    @overload
    def stream_get_material(
        self, type: MaterialType | str, *, page_size: int = 20, offset: int = 0
    ) -> Iterator[MaterialItem | NewsItem]: ...
    def stream_get_material(
        self, type: MaterialType | str, *, page_size: int = 20, offset: int = 0
    ) -> Iterator[MaterialItem | NewsItem]:
        """Every permanent material of one type, read page by page as you iterate.

        Raises on an error mid-way rather than ending early.

            >>> for item in client.material.stream_get_material("image"):
            ...     print(item.media_id, item.name)
        """
        page_call = calls.material_page_call(type)
        return self._driver.iterate(pages(page_call, offset=offset, page_size=page_size))

    # The verbs client.draft and client.publish use, for the same calls.
    delete = del_material
    batch_get = batch_get_material
    stream = stream_get_material


# ---- end of generated code ----
