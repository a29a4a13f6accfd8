"""Waiting for a publish to finish: poll freepublish/get, bounded."""

from __future__ import annotations

import math

from wechat_material._call import Operation, Perform, Sleep
from wechat_material._calls import publish
from wechat_material.errors import PublishTimeoutError, ValidationError
from wechat_material.models import PublishResult


def wait_for_publish(publish_id: str, interval: float, max_wait: float) -> Operation[PublishResult]:
    """Poll until the publish is no longer in progress, at most ``max_wait`` seconds of waiting."""
    if interval <= 0 or max_wait < 0:
        raise ValidationError(
            f"interval must be positive and max_wait not negative, not {interval!r}, {max_wait!r}"
        )
    publish.get(publish_id)  # checks the id before the first request
    waits = math.ceil(max_wait / interval)
    for waited in range(waits + 1):
        result: PublishResult = yield Perform(publish.get(publish_id))
        if result.done:
            return result
        if waited < waits:
            yield Sleep(interval)
    raise PublishTimeoutError(
        f"publish {publish_id} was still in progress after {max_wait:g} s; "
        "call wait() again or check it later with get()",
        result,
    )
