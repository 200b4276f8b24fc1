"""The digest's chart as an outbox message: `files.uploadV2`, which is not one Web API call but three
(`files.getUploadURLExternal`, a POST of the bytes to the URL it gives, `files.completeUploadExternal`), made by
slack_sdk's `files_upload_v2` through the transport here (`handlers.outbox.Transport`, registered by
`bot.transports`).

The row's args carry the PNG base64-encoded (about 160 KB for a 1200 × 800 chart) with the channel, file name,
title and comment: the row holds the chart until it is sent, and housekeeping deletes sent rows. A step Slack
refuses raises `SlackApiError`, which the dispatcher counts (a 429 blocks the method for its `Retry-After`); a
retry starts again at the first step (a half-done upload is never shared, so nothing shows twice).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.rules.keys import Key
from bot.rules.messages import Message
from handlers.outbox import Refused, Transport

METHOD = "files.uploadV2"


def chart(key: Key, channel: str, png: bytes, *, filename: str, title: str, comment: str, group: str) -> Message:
    """The upload of `png` to `channel`, sent in `group`'s order (after the digest it illustrates)."""
    return Message(key, METHOD, {"channel": channel, "filename": filename, "title": title, "initial_comment": comment,
                                 "content_base64": base64.b64encode(png).decode("ascii")}, group)


def transport(client: AsyncWebClient) -> Transport:
    """Sends `files.uploadV2` rows with `client` (one without a rate-limit retry handler: a 429 is the
    dispatcher's); what it keeps of the answer: the channel and the file's id."""

    async def upload(args: dict[str, Any]) -> dict[str, Any]:
        try:
            data = base64.b64decode(str(args["content_base64"]), validate=True)
            channel, filename = str(args["channel"]), str(args["filename"])
        except (KeyError, binascii.Error) as error:
            raise Refused("invalid_arguments", detail=f"a files.uploadV2 row without its file: {error}") from error
        answer = await client.files_upload_v2(channel=channel, file=data, filename=filename,
                                              title=args.get("title"), initial_comment=args.get("initial_comment"))
        file = answer.get("file") or {}
        return {"channel": channel, "file": file.get("id") if isinstance(file, dict) else None}

    return upload
