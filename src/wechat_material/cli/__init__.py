"""``wxm``, the command line for WeChat Official Account material.

Run ``wxm --help``; every command's help ends with examples.
"""

from wechat_material.cli.app import app, main

__all__ = ["app", "main"]
