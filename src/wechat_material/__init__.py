"""wechat-material: WeChat Official Account material from Python, with a local sandbox.

>>> from wechat_material import WeChatClient
>>> with WeChatClient.from_env() as client:
...     image = client.material.add_material("image", "cover.jpg")
"""

from wechat_material._version import VERSION
from wechat_material.client import AsyncWeChatClient, WeChatClient
from wechat_material.errors import (
    APIError,
    ArticleValidationError,
    AuthenticationError,
    BadRequestError,
    ContentLimitError,
    InvalidMediaError,
    MediaValidationError,
    NotFoundError,
    PermissionDeniedError,
    PublishTimeoutError,
    QuotaError,
    RateLimitError,
    RejectedError,
    RetiredAPIError,
    SystemBusyError,
    TokenError,
    TokenStoreError,
    TransportError,
    UnexpectedReplyError,
    ValidationError,
    WeChatError,
)
from wechat_material.limits import MaterialType, MediaFormat, Target
from wechat_material.media_file import MediaFile
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
    "NotFoundError",
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
    "TokenError",
    "TokenGrant",
    "TokenStoreError",
    "TransportError",
    "UnexpectedReplyError",
    "UploadedMaterial",
    "UploadedMedia",
    "ValidationError",
    "VideoLink",
    "VideoMaterial",
    "WeChatClient",
    "WeChatError",
]
__version__ = VERSION
