"""A path read from a post, a manifest or a tool call stays in its folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wechat_material._files import confine, open_confined
from wechat_material.errors import OutsideRootError, ValidationError


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """root/ with a file, a sub-folder, and links in and out; outside/ beside it."""
    root = tmp_path / "root"
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(b"inside")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "private.png").write_bytes(b"private")
    (root / "images" / "out.png").symlink_to(outside / "private.png")
    (root / "images" / "in.png").symlink_to(root / "images" / "a.png")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "fifo").parent.mkdir(exist_ok=True)
    os.mkfifo(root / "fifo")
    return root


@pytest.mark.parametrize(
    "given",
    [
        "../outside/private.png",
        "images/../../outside/private.png",
        "images/out.png",
        "linked/private.png",
        "linked",
    ],
)
def test_a_path_that_leads_out_is_refused_naming_it(tree: Path, given: str) -> None:
    with pytest.raises(OutsideRootError) as refused:
        confine(given, [tree])
    assert str(refused.value) == f"{given} is outside {tree.resolve()}"
    assert refused.value.path == given
    assert refused.value.roots == (str(tree.resolve()),)


def test_an_absolute_path_outside_is_refused(tree: Path) -> None:
    outside = tree.parent / "outside" / "private.png"
    with pytest.raises(OutsideRootError):
        confine(str(outside), [tree])
    with pytest.raises(OutsideRootError):
        confine("/etc/passwd", [tree])


def test_a_tilde_is_a_name_not_the_home_folder(tree: Path) -> None:
    assert confine("~/x.png", [tree]) == tree.resolve() / "~" / "x.png"


@pytest.mark.parametrize("given", ["images/a.png", "images/in.png", "./images/../images/a.png"])
def test_a_path_inside_comes_back_resolved(tree: Path, given: str) -> None:
    assert confine(given, [tree]) == (tree / "images" / "a.png").resolve()


def test_the_root_itself_counts_as_inside(tree: Path) -> None:
    assert confine(".", [tree]) == tree.resolve()


def test_a_second_root_widens_and_a_base_sets_where_relative_paths_start(tree: Path) -> None:
    outside = tree.parent / "outside"
    assert confine("../outside/private.png", [tree, outside]) == (outside / "private.png")
    assert confine("private.png", [tree, outside], base=outside) == outside / "private.png"
    with pytest.raises(OutsideRootError) as refused:
        confine("../../x", [tree, outside])
    assert str(refused.value).endswith(f"is outside {tree.resolve()} or {outside.resolve()}")


def test_a_root_given_through_a_link_is_resolved_too(tree: Path) -> None:
    link = tree.parent / "root-link"
    link.symlink_to(tree, target_is_directory=True)
    assert confine("images/a.png", [link]) == (tree / "images" / "a.png").resolve()


def test_a_nul_in_a_path_is_refused(tree: Path) -> None:
    with pytest.raises(ValidationError, match="NUL"):
        confine("images/a.png\x00.txt", [tree])


def test_no_root_is_a_programming_error(tree: Path) -> None:
    with pytest.raises(ValueError, match="at least one root"):
        confine("x", [])


def test_open_confined_reads_a_file_inside(tree: Path) -> None:
    with open_confined("images/a.png", [tree]) as file:
        assert file.read() == b"inside"


def test_open_confined_refuses_before_opening(tree: Path) -> None:
    with pytest.raises(OutsideRootError):
        open_confined("images/out.png", [tree])


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("images", "images is a directory, not a regular file"),
        ("fifo", "fifo is a FIFO (named pipe), not a regular file"),
        ("images/none.png", "images/none.png: no such file or directory"),
    ],
)
def test_open_confined_wants_an_existing_regular_file(tree: Path, given: str, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        open_confined(given, [tree])
    assert str(refused.value) == says
    assert not isinstance(refused.value, OutsideRootError)


def test_a_link_swapped_in_after_the_check_is_not_followed(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window between the check and the open, made wide: the checked path
    # has become a link to a private file by the time it is opened.
    swapped = tree / "images" / "out.png"
    monkeypatch.setattr("wechat_material._files.confine", lambda *_a, **_k: swapped)
    with pytest.raises(ValidationError, match="turned into a symbolic link as it was opened"):
        open_confined("images/a.png", [tree])
