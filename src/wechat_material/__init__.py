"""wechat-material: WeChat Official Account material from Python, with a local sandbox."""

from wechat_material.limits import MaterialType, MediaFormat, Target

__all__ = ["MaterialType", "MediaFormat", "Target"]
__version__ = "0.1.0"
