"""``wechat_material.library``, the package's former name, still works for one release."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "default", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_old_name_warns_once_and_serves_the_same_objects() -> None:
    done = _python(
        """
        import warnings
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            import wechat_material.library as old
            from wechat_material.library import backup, verify_backup
            import wechat_material.library.manifest as old_manifest
            from wechat_material.library.store import ObjectStore
            import wechat_material.library  # again: no second warning
        import wechat_material.backup as new
        import wechat_material.backup.manifest as new_manifest
        import wechat_material.backup.store as new_store
        print([(w.category.__name__, str(w.message)) for w in seen])
        print(backup is new.backup, verify_backup is new.verify_backup)
        print(old_manifest is new_manifest, ObjectStore is new_store.ObjectStore)
        print(new_manifest.__spec__.name)
        """
    )
    assert done.returncode == 0, done.stderr
    warned, names, modules, spec = done.stdout.splitlines()
    assert warned == (
        "[('DeprecationWarning', 'wechat_material.library is now wechat_material.backup; "
        "the old name goes in the next release')]"
    )
    assert names == "True True"
    assert modules == "True True"
    assert spec == "wechat_material.backup.manifest"


def test_an_unknown_name_under_the_old_name_is_still_unknown() -> None:
    done = _python(
        """
        import wechat_material.library
        try:
            import wechat_material.library.no_such_module
        except ModuleNotFoundError as exc:
            print(exc.name)
        try:
            wechat_material.library.no_such_name
        except AttributeError:
            print("AttributeError")
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["wechat_material.library.no_such_module", "AttributeError"]
