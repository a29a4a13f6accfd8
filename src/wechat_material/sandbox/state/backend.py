"""The sandbox's state machine, with no HTTP in it.

:class:`SandboxBackend` owns the storage, the clock, the id maker and one
object per area (accounts, tokens, quotas, temporary media, permanent
material, news, drafts, publishing, links, faults). The HTTP layer
(:mod:`wechat_material.sandbox.http`) parses the wire format and calls into
it; the state answers with plain values (links as paths, never URLs) and
refuses with :class:`~wechat_material.sandbox.state.SandboxError`. It is reachable as
``app.state.sandbox`` for in-process control::

    backend = create_app().state.sandbox
    backend.clock.advance(7200)
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from wechat_material._endpoints import GRANT_TYPE
from wechat_material.limits import LIMITS, MaterialType, Target
from wechat_material.mediainfo import detect_format
from wechat_material.sandbox.state import SandboxError
from wechat_material.sandbox.state.accounts import Accounts, NewAccount
from wechat_material.sandbox.state.articles import ArticleRules
from wechat_material.sandbox.state.blobs import StoredFile
from wechat_material.sandbox.state.clock import ClockState, SandboxClock
from wechat_material.sandbox.state.config import (
    JSON_CONTENT_TYPE,
    JSON_LABELS,
    TEXT_CONTENT_TYPE,
    WECHAT_LABELS,
    NewsAPI,
    PublishIdForm,
    SandboxConfig,
)
from wechat_material.sandbox.state.drafts import Drafts
from wechat_material.sandbox.state.faults import FaultPlan
from wechat_material.sandbox.state.ids import IdMaker
from wechat_material.sandbox.state.journal import Journal
from wechat_material.sandbox.state.links import LinkPath, Links
from wechat_material.sandbox.state.materials import LegacyNews, Materials
from wechat_material.sandbox.state.media import TemporaryMedia
from wechat_material.sandbox.state.publishing import Publishing
from wechat_material.sandbox.state.quotas import (
    STABLE_TOKEN_PATH,
    TOKEN_PATH,
    CallCounters,
    Quotas,
)
from wechat_material.sandbox.state.storage import Storage
from wechat_material.sandbox.state.tokens import Grant, Tokens
from wechat_material.sandbox.state.uploads import (
    AcceptedFile,
    Upload,
    accept_file,
    material_type,
    video_description,
)


@dataclass
class RuntimeSwitches:
    """Switches the admin API can flip at run time (not persisted: the config decides at start)."""

    news_api: NewsAPI = "retired"
    json_content_type: str = WECHAT_LABELS
    """``"wechat"``: each reply labelled as WeChat labels it; else the one label of them all."""
    publish_id: PublishIdForm = "string"
    """How freepublish replies write ``publish_id``: a string as documented, or a number."""
    msg_data_id: PublishIdForm = "string"
    """How freepublish/submit writes ``msg_data_id``: a string as documented, or a number."""


class SandboxBackend:
    """The state of one sandbox; :meth:`close` it when done (it holds its data directory).

    ``SandboxInUseError`` at start when another sandbox holds ``config.data_dir``.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.storage = Storage(config.data_dir)
        try:
            self._start(config)
        except BaseException:
            self.storage.close()
            raise

    def _start(self, config: SandboxConfig) -> None:
        # Each start is a new generation, so a seeded sandbox never hands out an id twice.
        self._generation = int(self.storage.get_meta("generation") or 0) + 1
        self.storage.set_meta("generation", self._generation)
        self.ids = IdMaker(config.seed, self._generation)
        self.clock = SandboxClock(config.start_time, running=config.clock == "running")
        saved = self.storage.get_meta("clock")
        if saved is not None:
            self.clock.restore(ClockState(saved["offset"], saved["frozen_at"]))
        self.clock.on_change = self._save_clock
        self._save_clock(self.clock.state())
        self.counters = CallCounters()
        self.journal = Journal()
        self.accounts = Accounts(self.storage)
        self.quotas = Quotas(self.storage, self.clock)
        self.tokens = Tokens(self.storage, self.clock, self.ids)
        self.links = Links(self.storage, self.ids)
        self.media = TemporaryMedia(self.storage, self.clock, self.ids, self.links)
        self.materials = Materials(
            self.storage, self.clock, self.ids, self.links, dict(config.permanent_caps)
        )
        self.news = LegacyNews(self.materials)
        self.drafts = Drafts(self.storage, self.clock, self.ids, self.links)
        self.publishing = Publishing(
            self.storage, self.clock, self.ids, self.links, self.drafts, config.publish_seconds
        )
        self.faults = FaultPlan(self.ids.fault_seed)
        self.switches = RuntimeSwitches()
        self._apply_config()

    def _apply_config(self) -> None:
        self.set_news_api(self.config.news_api)
        self.switches.json_content_type = WECHAT_LABELS
        self.switches.publish_id = self.switches.msg_data_id = "string"
        for appid, secret in self.config.accounts:
            if self.accounts.get(appid) is None:
                self.add_account(appid, secret, token_daily_limit=self.config.token_daily_limit)

    def _save_clock(self, state: ClockState) -> None:
        self.storage.set_meta("clock", {"offset": state.offset, "frozen_at": state.frozen_at})

    # -- accounts and tokens ------------------------------------------------------------

    def add_account(
        self,
        appid: str,
        secret: str,
        *,
        token_daily_limit: int | None = None,
        whitelist: list[str] | None = None,
    ) -> None:
        """Create the account, or replace it: a new secret ends the tokens of the old one
        (as resetting the AppSecret does on WeChat: they answer 40001)."""
        self.add_accounts([NewAccount(appid, secret, token_daily_limit, whitelist)])

    def add_accounts(self, accounts: Sequence[NewAccount]) -> None:
        """Create (or replace) every account, or none of them when one is refused; an
        account given a new secret has its tokens ended."""
        new_secrets = []
        with self.storage.transaction() as db:
            for new in accounts:
                previous = self.accounts.get(new.appid)
                self.accounts.add(new.appid, new.secret, new.whitelist, db)
                if previous is not None and previous.secret != new.secret:
                    new_secrets.append(new.appid)
                if new.token_daily_limit is not None:
                    self.quotas.set_limit(new.appid, TOKEN_PATH, new.token_daily_limit, db=db)
        for appid in new_secrets:
            self.tokens.revoke(appid)

    def _credentials(
        self, grant_type: str | None, appid: str | None, secret: str | None, ip: str
    ) -> str:
        """Check a token request; the order follows WeChat's replies, the account's
        status (frozen, secret frozen, token API forbidden) last."""
        if grant_type != GRANT_TYPE:
            raise SandboxError(40002, f"grant_type must be {GRANT_TYPE}")
        if not appid:
            raise SandboxError(41002)
        if not secret:
            raise SandboxError(41004)
        account = self.accounts.require(appid)
        self.accounts.check_ip(account, ip)
        if secret != account.secret:
            raise SandboxError(40125, "the secret does not match the appid")
        account.status.check_token_grant()
        return account.appid

    def grant_token(
        self, grant_type: str | None, appid: str | None, secret: str | None, ip: str
    ) -> Grant:
        """GET /cgi-bin/token."""
        appid = self._credentials(grant_type, appid, secret, ip)
        # One transaction (one commit) counts the call and writes the token.
        with self.quotas.charged(appid, TOKEN_PATH) as db:
            return self.tokens.issue(appid, db)

    def grant_stable_token(
        self,
        grant_type: str | None,
        appid: str | None,
        secret: str | None,
        force_refresh: bool,
        ip: str,
    ) -> Grant:
        """POST /cgi-bin/stable_token."""
        appid = self._credentials(grant_type, appid, secret, ip)
        with self.quotas.charged(appid, STABLE_TOKEN_PATH) as db:
            return self.tokens.stable(appid, force_refresh, db)

    def begin_call(
        self, access_token: str | None, path: str, ip: str, *, writes: bool = False
    ) -> str:
        """Admit an API call: token, IP whitelist, account status, quotas.

        ``writes`` marks calls that change content (refused while the account is
        limited). Returns the caller's appid.
        """
        appid = self.tokens.check(access_token)
        account = self.accounts.require(appid)
        self.accounts.check_ip(account, ip)
        account.status.check_call(path, writes)
        self.quotas.charge(appid, path)
        return appid

    def caller_of(self, access_token: str) -> str:
        """The appid to count a call under ("" for a token nobody issued)."""
        return self.tokens.owner(access_token) or ""

    # -- uploads ------------------------------------------------------------------------
    # One operation per upload endpoint, from the file as sent to the file stored: the
    # type and the file are checked, the file staged, then stored with its row or
    # refused; the staged copy is discarded either way. They read and copy the file
    # (blocking I/O): the routes run them in a worker thread.

    def add_material(
        self, appid: str, type_name: str | None, upload: Upload | None, described: object = None
    ) -> dict[str, Any]:
        """material/add_material: ``{"media_id", "url"}`` (the url for images only).

        ``described`` is a video's ``description`` as parsed from the wire
        (:func:`~wechat_material.sandbox.state.uploads.video_description`); it is
        judged after the file, as WeChat does.
        """
        type = material_type(Target.PERMANENT, type_name)
        with self._staged(Target.PERMANENT, type, upload) as accepted:
            video = video_description(described) if type is MaterialType.VIDEO else None
            return self.materials.add_file(appid, type, accepted, video)

    def upload_media(
        self, appid: str, type_name: str | None, upload: Upload | None
    ) -> dict[str, Any]:
        """media/upload: ``{"type", "media_id" or "thumb_media_id", "created_at"}``."""
        type = material_type(Target.TEMPORARY, type_name)
        with self._staged(Target.TEMPORARY, type, upload) as accepted:
            return self.media.add_file(appid, type, accepted)

    def upload_article_image(self, appid: str, upload: Upload | None) -> LinkPath | str:
        """media/uploadimg: where the image for article HTML is served."""
        with self._staged(Target.ARTICLE_IMAGE, MaterialType.IMAGE, upload) as accepted:
            return self.materials.add_article_image(appid, accepted)

    @contextmanager
    def _staged(
        self, target: Target, type: MaterialType, upload: Upload | None
    ) -> Iterator[AcceptedFile]:
        """The upload checked and staged for the block; discarded after it, stored or not."""
        accepted = accept_file(LIMITS[(target, type)], upload, self.storage.blobs)
        try:
            yield accepted
        finally:
            self.storage.blobs.discard(accepted.staged)

    # -- stored files -------------------------------------------------------------------

    def open_file(self, stored: StoredFile) -> BinaryIO:
        """The bytes of a stored file (the caller reads and closes them); -1 when the
        store has lost them."""
        try:
            return self.storage.blobs.open(stored.sha256)
        except FileNotFoundError:
            raise SandboxError(
                -1, f"the file of {stored.media_id} is missing from the store"
            ) from None

    @property
    def files_in_memory(self) -> bool:
        """Whether stored files are held in memory (reading them never blocks)."""
        return self.storage.blobs.in_memory

    # -- what articles may refer to -----------------------------------------------------

    def article_rules(
        self, appid: str, *, draft: bool = False, mass_send: bool = False
    ) -> ArticleRules:
        def permanent_cover(media_id: str) -> bool:
            return self.materials.is_type(appid, media_id, "image", "thumb")

        def any_cover(media_id: str) -> bool:
            return permanent_cover(media_id) or self.media.is_cover(appid, media_id)

        return ArticleRules(
            thumb_ok=any_cover if mass_send else permanent_cover,
            image_ok=lambda media_id: self.materials.is_type(appid, media_id, "image"),
            image_url_ok=self.links.is_image_url,
            draft=draft,
        )

    # -- admin ------------------------------------------------------------------------

    def rid(self) -> str:
        return self.ids.rid(self.clock.now())

    def set_news_api(self, mode: NewsAPI) -> None:
        if mode not in ("legacy", "retired"):
            raise ValueError("news_api must be 'legacy' or 'retired'")
        self.switches.news_api = mode
        self.news.retired = mode == "retired"

    def set_json_content_type(self, content_type: str) -> None:
        """Label JSON replies as WeChat does (``"wechat"``), or every one of them
        ``application/json; encoding=utf-8`` or ``text/plain``."""
        if content_type not in JSON_LABELS:
            raise ValueError(
                f"content type must be {WECHAT_LABELS!r} (as WeChat labels each reply), "
                f"{JSON_CONTENT_TYPE!r} or {TEXT_CONTENT_TYPE!r}"
            )
        self.switches.json_content_type = (
            JSON_CONTENT_TYPE if content_type == "application/json" else content_type
        )

    def set_publish_id_form(self, form: str) -> None:
        """Write ``publish_id`` as a string (WeChat's documentation) or a number (as
        real replies have been reported to)."""
        self.set_id_form("publish_id", form)

    def set_id_form(self, field: str, form: str) -> None:
        """Write the id ``field`` (``publish_id``, ``msg_data_id``) of the publishing
        replies as a string (as documented) or a number."""
        if field not in ("publish_id", "msg_data_id"):
            raise ValueError("the ids written either way are publish_id and msg_data_id")
        if form not in ("string", "number"):
            raise ValueError(f"{field} must be 'string' or 'number'")
        setattr(self.switches, field, "number" if form == "number" else "string")

    def add_jssdk_voice(self, appid: str, data: bytes) -> str:
        """Seed a voice as if recorded through the JS-SDK; returns its media_id."""
        self.accounts.require(appid)
        fmt = detect_format(data)
        if not data or fmt is None:
            raise ValueError("the voice must be a non-empty audio file (speex, amr, mp3...)")
        staged = self.storage.blobs.stage(io.BytesIO(data))
        try:
            return self.media.add_jssdk_voice(appid, staged, fmt.value)
        finally:
            self.storage.blobs.discard(staged)

    def reset(self) -> None:
        """Back to a fresh start: no media, no tokens, config accounts, clock at its start."""
        self.storage.wipe()
        self.storage.set_meta("generation", self._generation)
        self.accounts.forget_cache()
        self.quotas.forget_cache()
        self.tokens.forget_cache()
        self.counters.reset()
        self.journal.clear()
        self.faults.clear()
        self.publishing.plan(None)
        self.ids.restart()
        start = self.config.start_time
        self.clock.set_time(start if start is not None else time.time())
        self._apply_config()

    def close(self) -> None:
        """Close the database and release the data directory (calling it again is harmless)."""
        self.storage.close()

    def __enter__(self) -> SandboxBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
