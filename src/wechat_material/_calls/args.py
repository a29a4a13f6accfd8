"""Checks on call arguments, done before anything is sent."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from wechat_material.checks import article_problem, articles_problem
from wechat_material.errors import ArticleValidationError, ValidationError
from wechat_material.limits import PAGE_MAX, PAGE_MIN, MaterialType
from wechat_material.models import Article

ArticleInput = Article | Mapping[str, Any]
"""An article as a model or as the JSON object WeChat takes."""

# Fields that only appear in replies; sending a read article back must not echo them.
_READ_ONLY_FIELDS = frozenset({"url", "thumb_url", "is_deleted"})


def material_type(value: MaterialType | str, allowed: Collection[MaterialType]) -> MaterialType:
    """``value`` as a :class:`MaterialType` this call accepts, or a clear error."""
    choices = ", ".join(t.value for t in MaterialType if t in allowed)
    try:
        kind = MaterialType(value)
    except ValueError:
        raise ValidationError(f"type must be one of {choices}, not {value!r}") from None
    if kind not in allowed:
        raise ValidationError(f"type must be one of {choices} here, not {kind.value!r}")
    return kind


def identifier(value: str, name: str = "media_id") -> str:
    """A non-empty id (``media_id``, ``publish_id``, ``article_id``)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name} must be a non-empty string, not {value!r}")
    return value


def page(offset: int, count: int) -> dict[str, int]:
    """``offset``/``count`` of one list page: WeChat serves 1 to 20 items a call."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"offset must be a whole number, 0 or more, not {offset!r}")
    if isinstance(count, bool) or not isinstance(count, int) or not PAGE_MIN <= count <= PAGE_MAX:
        raise ValidationError(f"count must be {PAGE_MIN} to {PAGE_MAX}, not {count!r}")
    return {"offset": offset, "count": count}


def index(value: int, *, first: int = 0, name: str = "index") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < first:
        raise ValidationError(f"{name} must be a whole number, {first} or more, not {value!r}")
    return value


def article_json(article: ArticleInput) -> dict[str, Any]:
    """The JSON object of one article as WeChat takes it."""
    if isinstance(article, Article):
        data = article.model_dump(mode="json", exclude_none=True, by_alias=True)
    elif isinstance(article, Mapping):
        data = {str(k): v for k, v in article.items() if v is not None}
    else:
        raise ArticleValidationError(
            f"an article must be an Article or a dict, not {type(article).__name__}"
        )
    return {k: v for k, v in data.items() if k not in _READ_ONLY_FIELDS}


def articles_json(articles: Sequence[ArticleInput], *, draft: bool = False) -> list[dict[str, Any]]:
    """The articles of a news/draft as JSON, checked against WeChat's rules (§5).

    ``draft``: they go to the draft box, where picture articles (newspic) exist.
    """
    if isinstance(articles, Article | Mapping):
        articles = [articles]  # one article given on its own
    payload = [article_json(a) for a in articles]
    _raise_for(articles_problem(payload, draft=draft))
    return payload


def one_article_json(
    article: ArticleInput, position: int, *, draft: bool = False
) -> dict[str, Any]:
    """One article for an update at ``position`` (0-based), checked."""
    payload = article_json(article)
    _raise_for(article_problem(payload, position, draft=draft))
    return payload


def _raise_for(problem: Any) -> None:
    if problem is not None:
        raise ArticleValidationError(problem.message, field=problem.field, index=problem.index)
