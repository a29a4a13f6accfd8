"""Calls about the account itself: access tokens and API quotas."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from wechat_material import _endpoints as ep
from wechat_material._call import Call, ignore_reply, json_of, model_parser
from wechat_material._calls import args
from wechat_material._reply import Reply
from wechat_material.errors import UnexpectedReplyError, ValidationError
from wechat_material.models import QuotaInfo
from wechat_material.tokens.base import TokenGrant

TokenMode = Literal["token", "stable"]


def _grant(endpoint: ep.Endpoint) -> Call[TokenGrant]:
    def parse(reply: Reply) -> TokenGrant:
        data = json_of(reply, endpoint)
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token:
            raise UnexpectedReplyError(f"{endpoint.path}: the reply has no access_token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | str):
            raise UnexpectedReplyError(f"{endpoint.path}: the reply has no expires_in")
        try:
            seconds = int(expires_in)
        except ValueError:
            raise UnexpectedReplyError(f"{endpoint.path}: expires_in is not a number") from None
        return TokenGrant(access_token=token, expires_in=seconds)

    return Call(endpoint, parse)


def fetch_token(
    appid: str, secret: SecretStr, mode: TokenMode, force_refresh: bool = False
) -> Call[TokenGrant]:
    """A new token from ``/cgi-bin/token`` or (``mode="stable"``) ``/cgi-bin/stable_token``."""
    if mode == "token":
        call = _grant(ep.TOKEN)
        call.query = {
            "grant_type": "client_credential",
            "appid": appid,
            "secret": secret.get_secret_value(),
        }
        return call
    if mode == "stable":
        call = _grant(ep.STABLE_TOKEN)
        call.json = {
            "grant_type": "client_credential",
            "appid": appid,
            "secret": secret.get_secret_value(),
            "force_refresh": force_refresh,
        }
        return call
    raise ValidationError(f"token_mode must be 'token' or 'stable', not {mode!r}")


def clear_quota(appid: str) -> Call[None]:
    return Call(ep.CLEAR_QUOTA, ignore_reply, json={"appid": appid})


def get_api_quota(cgi_path: str) -> Call[QuotaInfo]:
    args.identifier(cgi_path, "cgi_path")
    if not cgi_path.startswith("/"):
        raise ValidationError(
            f"cgi_path must start with '/', e.g. '/cgi-bin/material/add_material', not {cgi_path!r}"
        )
    return Call(
        ep.GET_API_QUOTA, model_parser(QuotaInfo, ep.GET_API_QUOTA), json={"cgi_path": cgi_path}
    )
