"""wechat-material: WeChat Official Account material from Python, with a local sandbox.

>>> from wechat_material import WeChatClient
>>> with WeChatClient.from_env() as client:
...     image = client.material.add_material("image", "cover.jpg")
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wechat_material._config import VERSION as __version__
    from wechat_material.client import AsyncWeChatClient, WeChatClient
    from wechat_material.errors import (
        APIError,
        ArticleValidationError,
        AuthenticationError,
        BadRequestError,
        ContentLimitError,
        FileTargetError,
        InvalidMediaError,
        MediaValidationError,
        NotAFileError,
        NotFoundError,
        OutsideRootError,
        PermissionDeniedError,
        PublishTimeoutError,
        QuotaError,
        RateLimitError,
        RejectedError,
        RetiredAPIError,
        SystemBusyError,
        TargetExistsError,
        TokenError,
        TokenStoreError,
        TransportError,
        UnexpectedReplyError,
        URLRefusedError,
        ValidationError,
        WeChatError,
    )
    from wechat_material.limits import MaterialType, MediaFormat, Target
    from wechat_material.media_file import FileDownload, MediaFile
    from wechat_material.models import (
        Article,
        ArticleImage,
        Draft,
        MaterialCount,
        MaterialItem,
        NewsContent,
        NewsItem,
        NewsMaterial,
        Page,
        PublishedItem,
        PublishedNews,
        PublishResult,
        PublishStatus,
        QuotaInfo,
        Submission,
        UploadedMaterial,
        UploadedMedia,
        VideoLink,
        VideoMaterial,
    )
    from wechat_material.retry import RetryPolicy
    from wechat_material.tokens.base import TokenGrant

# Where each public name lives. Nothing is imported until a name is used, so
# `import wechat_material.limits` (the sandbox) or the `wxm` entry point (which
# must catch Ctrl-C from its first instant) do not pay for httpx and pydantic.
_WHERE: dict[str, str] = {
    "__version__": "wechat_material._config",
    "AsyncWeChatClient": "wechat_material.client",
    "WeChatClient": "wechat_material.client",
    "APIError": "wechat_material.errors",
    "ArticleValidationError": "wechat_material.errors",
    "AuthenticationError": "wechat_material.errors",
    "BadRequestError": "wechat_material.errors",
    "ContentLimitError": "wechat_material.errors",
    "FileTargetError": "wechat_material.errors",
    "InvalidMediaError": "wechat_material.errors",
    "MediaValidationError": "wechat_material.errors",
    "NotAFileError": "wechat_material.errors",
    "NotFoundError": "wechat_material.errors",
    "OutsideRootError": "wechat_material.errors",
    "PermissionDeniedError": "wechat_material.errors",
    "PublishTimeoutError": "wechat_material.errors",
    "QuotaError": "wechat_material.errors",
    "RateLimitError": "wechat_material.errors",
    "RejectedError": "wechat_material.errors",
    "RetiredAPIError": "wechat_material.errors",
    "SystemBusyError": "wechat_material.errors",
    "TargetExistsError": "wechat_material.errors",
    "TokenError": "wechat_material.errors",
    "TokenStoreError": "wechat_material.errors",
    "TransportError": "wechat_material.errors",
    "UnexpectedReplyError": "wechat_material.errors",
    "URLRefusedError": "wechat_material.errors",
    "ValidationError": "wechat_material.errors",
    "WeChatError": "wechat_material.errors",
    "MaterialType": "wechat_material.limits",
    "MediaFormat": "wechat_material.limits",
    "Target": "wechat_material.limits",
    "FileDownload": "wechat_material.media_file",
    "MediaFile": "wechat_material.media_file",
    "Article": "wechat_material.models",
    "ArticleImage": "wechat_material.models",
    "Draft": "wechat_material.models",
    "MaterialCount": "wechat_material.models",
    "MaterialItem": "wechat_material.models",
    "NewsContent": "wechat_material.models",
    "NewsItem": "wechat_material.models",
    "NewsMaterial": "wechat_material.models",
    "Page": "wechat_material.models",
    "PublishedItem": "wechat_material.models",
    "PublishedNews": "wechat_material.models",
    "PublishResult": "wechat_material.models",
    "PublishStatus": "wechat_material.models",
    "QuotaInfo": "wechat_material.models",
    "Submission": "wechat_material.models",
    "UploadedMaterial": "wechat_material.models",
    "UploadedMedia": "wechat_material.models",
    "VideoLink": "wechat_material.models",
    "VideoMaterial": "wechat_material.models",
    "RetryPolicy": "wechat_material.retry",
    "TokenGrant": "wechat_material.tokens.base",
}

# Names that are kept under another name where they live.
_NAMED = {"__version__": "VERSION"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'wechat_material' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), _NAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "APIError",
    "Article",
    "ArticleImage",
    "ArticleValidationError",
    "AsyncWeChatClient",
    "AuthenticationError",
    "BadRequestError",
    "ContentLimitError",
    "Draft",
    "FileDownload",
    "FileTargetError",
    "InvalidMediaError",
    "MaterialCount",
    "MaterialItem",
    "MaterialType",
    "MediaFile",
    "MediaFormat",
    "MediaValidationError",
    "NewsContent",
    "NewsItem",
    "NewsMaterial",
    "NotAFileError",
    "NotFoundError",
    "OutsideRootError",
    "Page",
    "PermissionDeniedError",
    "PublishResult",
    "PublishStatus",
    "PublishTimeoutError",
    "PublishedItem",
    "PublishedNews",
    "QuotaError",
    "QuotaInfo",
    "RateLimitError",
    "RejectedError",
    "RetiredAPIError",
    "RetryPolicy",
    "Submission",
    "SystemBusyError",
    "Target",
    "TargetExistsError",
    "TokenError",
    "TokenGrant",
    "TokenStoreError",
    "TransportError",
    "URLRefusedError",
    "UnexpectedReplyError",
    "UploadedMaterial",
    "UploadedMedia",
    "ValidationError",
    "VideoLink",
    "VideoMaterial",
    "WeChatClient",
    "WeChatError",
    "__version__",
]
