"""The former name of :mod:`wechat_material.backup`, kept for one release.

Importing it warns once (``DeprecationWarning``); every name and submodule
is the one of :mod:`wechat_material.backup`, the same objects:
``wechat_material.library.manifest`` *is* ``wechat_material.backup.manifest``.
Write ``from wechat_material.backup import backup, restore, verify_backup``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

_NEW = "wechat_material.backup"

warnings.warn(
    "wechat_material.library is now wechat_material.backup; the old name goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)


class _SameModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers ``wechat_material.library.X`` with the module ``wechat_material.backup.X``."""

    def find_spec(
        self, fullname: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(__name__ + "."):
            return None
        if importlib.util.find_spec(_NEW + fullname[len(__name__) :]) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def __init__(self) -> None:
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(_NEW + spec.name[len(__name__) :])
        self._specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system gave the module the old name's spec: it keeps its own.
        module.__spec__ = self._specs.pop(module.__name__)


sys.meta_path.append(_SameModules())


def __getattr__(name: str) -> Any:
    return getattr(importlib.import_module(_NEW), name)


def __dir__() -> list[str]:
    return dir(importlib.import_module(_NEW))
