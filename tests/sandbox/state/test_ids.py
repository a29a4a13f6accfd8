"""Ids, tokens and rids: unguessable shapes, safe on a command line, reproducible with a seed."""

from __future__ import annotations

import re

from wechat_material.sandbox.state.ids import IdMaker

URL_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]+$")


def test_shapes() -> None:
    ids = IdMaker()
    assert len(ids.access_token()) == 136
    assert len(ids.permanent_id()) == 43
    assert len(ids.temporary_id()) == 64
    assert len(str(ids.number())) == 10
    assert re.fullmatch(r"6553f100-[0-9a-f]{8}-[0-9a-f]{8}", ids.rid(1_700_000_000))


def test_ids_never_start_like_an_option() -> None:
    ids = IdMaker(seed=0)
    made = [ids.permanent_id() for _ in range(3000)] + [ids.temporary_id() for _ in range(3000)]
    assert all(URL_SAFE.match(i) for i in made)
    assert len(set(made)) == len(made)


def test_a_seed_repeats_until_the_generation_changes() -> None:
    first, again, later = IdMaker(7), IdMaker(7), IdMaker(7, generation=2)
    sequence = [first.permanent_id() for _ in range(5)]
    assert sequence == [again.permanent_id() for _ in range(5)]
    assert sequence != [later.permanent_id() for _ in range(5)]
    first.restart()
    assert first.permanent_id() == sequence[0]
