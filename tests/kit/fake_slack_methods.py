"""FakeSlack's Web API methods: one handler per method, answering like Slack does.

:class:`_SlackMethods` is a mixin of :class:`tests.kit.fake_slack.FakeSlack`. Each handler takes the
decoded call arguments and returns the body of an ok answer (without ``"ok": true``), or raises
:class:`SlackError` for an ``ok: false`` one. Handlers run with FakeSlack's lock held.
"""

from __future__ import annotations

import copy
import hashlib
import time
from typing import Any

from .block_limits import LIMITS, problems, view_problems
from .fake_slack_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    FIRST_TS,
    TEAM_ID,
    TEAM_NAME,
    WORKSPACE_URL,
    Handler,
    SlackError,
    _Shared,
)


class _SlackMethods(_Shared):
    """Per-method handlers over FakeSlack's state (``self._state``, users, channels, clock)."""

    # ================================================================ helpers for handlers
    def _next_id(self, prefix: str) -> str:
        self._state.counter += 1
        return f"{prefix}0{self._state.counter:08d}"

    def _next_ts(self) -> str:
        self._state.counter += 1
        micros = self._state.counter * 100
        return f"{FIRST_TS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    @staticmethod
    def _dm_for(channel: str) -> str:
        """Posting to a user ID goes to the DM with that user, like Slack does."""
        return "D" + channel if channel[:1] in ("U", "W") else channel

    @staticmethod
    def _require(args: dict[str, Any], key: str, error: str) -> Any:
        value = args.get(key)
        if value in (None, "", []):
            raise SlackError(error, [f"missing required field: {key}"])
        return value

    @staticmethod
    def _check_content(args: dict[str, Any]) -> None:
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        if "blocks" in args:
            found = problems(args["blocks"], "message")
            if found:
                raise SlackError("invalid_blocks", found)

    @staticmethod
    def _message_from(args: dict[str, Any], ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "team": TEAM_ID,
            "text": args.get("text") or "", "ts": ts,
        }  # fmt: skip
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if args.get(key):
                msg[key] = args[key]
        return msg

    def _stored_message(self, args: dict[str, Any], ts_key: str = "ts") -> tuple[str, str, dict[str, Any]]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        ts = str(self._require(args, ts_key, "message_not_found"))
        msg = self._state.messages.get((channel, ts))
        if msg is None:
            raise SlackError("message_not_found")
        return channel, ts, msg

    @staticmethod
    def _default_channel(channel_id: str) -> dict[str, Any]:
        is_im = channel_id.startswith("D")
        channel = {
            "id": channel_id, "name": channel_id.lower(), "is_channel": channel_id.startswith("C"),
            "is_im": is_im, "is_private": not channel_id.startswith("C"), "is_archived": False,
            "is_member": True, "created": FIRST_TS, "context_team_id": TEAM_ID,
        }  # fmt: skip
        if is_im:
            channel["user"] = channel_id[1:]
        return channel

    # ================================================================ method handlers
    def _build_handlers(self) -> dict[str, Handler]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "chat.scheduleMessage": self._chat_schedule_message,
            "views.open": lambda a: self._views_open(a, "views.open"),
            "views.push": lambda a: self._views_open(a, "views.push"),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
            "apps.connections.open": self._apps_connections_open,
        }

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": WORKSPACE_URL, "team": TEAM_NAME, "user": "supportbot", "team_id": TEAM_ID,
            "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False,
        }  # fmt: skip

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        self._check_content(args)
        ts = self._next_ts()
        msg = self._message_from(args, ts)
        self._state.messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": copy.deepcopy(msg)}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, msg = self._stored_message(args)
        self._check_content(args)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                msg[key] = args[key]
        msg["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": msg.get("text", ""), "message": copy.deepcopy(msg)}

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "channel_not_found")
        self._require(args, "user", "user_not_found")
        self._check_content(args)
        return {"message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(self._require(args, "channel", "channel_not_found"))
        ts = str(self._require(args, "message_ts", "message_not_found"))
        return {
            "channel": channel,
            "permalink": f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, _ = self._stored_message(args)
        del self._state.messages[(channel, ts)]
        return {"channel": channel, "ts": ts}

    def _chat_schedule_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._dm_for(str(self._require(args, "channel", "channel_not_found")))
        try:
            post_at = int(float(self._require(args, "post_at", "invalid_time")))
        except (TypeError, ValueError):
            raise SlackError("invalid_time") from None
        now = self.clock()
        if post_at <= now:
            raise SlackError("time_in_past")
        if post_at > now + LIMITS.schedule_max_future_days * 86400:
            raise SlackError("time_too_far")
        self._check_content(args)
        scheduled_id = self._next_id("Q")
        msg = self._message_from(args, str(post_at))
        self._state.scheduled[scheduled_id] = {**msg, "channel": channel, "post_at": post_at}
        return {"channel": channel, "scheduled_message_id": scheduled_id, "post_at": post_at, "message": msg}

    # -- views
    def _check_view(self, args: dict[str, Any], kind: str) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments", ["missing required field: view"])
        if view.get("type") != kind:
            raise SlackError("invalid_arguments", [f"view.type must be {kind!r}"])
        found = view_problems(view)
        if found:
            raise SlackError("invalid_arguments", found)
        return view

    def _store_view(
        self, view: dict[str, Any], view_id: str, previous: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "private_metadata": "", "callback_id": "", "external_id": "", "clear_on_close": False,
            "notify_on_close": False, "submit": None, "close": None, "previous_view_id": None,
            **copy.deepcopy(view),
            "id": view_id, "team_id": TEAM_ID, "app_id": APP_ID, "bot_id": BOT_ID,
            "app_installed_team_id": TEAM_ID,
            "state": {"values": {}}, "hash": f"{int(time.time())}.{self._next_id('H')}",
            "root_view_id": (previous or {}).get("root_view_id") or view_id,
        }  # fmt: skip
        old_external = (previous or {}).get("external_id")
        if old_external and self._state.external_ids.get(old_external) == view_id:
            del self._state.external_ids[old_external]
        if stored["external_id"]:
            self._state.external_ids[stored["external_id"]] = view_id
        self._state.views[view_id] = stored
        return copy.deepcopy(stored)

    def _views_open(self, args: dict[str, Any], method: str) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            raise SlackError("invalid_arguments", [f"{method}: missing required field: trigger_id"])
        view = self._check_view(args, "modal")
        external_id = view.get("external_id")
        if external_id and external_id in self._state.external_ids:
            raise SlackError("duplicate_external_id")
        return {"view": self._store_view(view, self._next_id("V"))}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id") or self._state.external_ids.get(str(args.get("external_id") or ""))
        previous = self._state.views.get(str(view_id)) if view_id else None
        if previous is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != previous["hash"]:
            raise SlackError("hash_conflict")
        view = self._check_view(args, str(previous["type"]))
        return {"view": self._store_view(view, str(view_id), previous)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(self._require(args, "user_id", "invalid_arguments"))
        view = self._check_view(args, "home")
        view_id = self._state.homes.get(user_id) or self._next_id("V")
        self._state.homes[user_id] = view_id
        return {"view": self._store_view(view, view_id, self._state.views.get(view_id))}

    # -- conversations / users
    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = args.get("users")
        names = users if isinstance(users, list) else [u for u in str(users or "").split(",") if u]
        if not names:
            raise SlackError("users_list_not_supplied")
        if len(names) == 1:
            return {"channel": {"id": "D" + names[0]}}
        digest = hashlib.sha1(",".join(sorted(names)).encode()).hexdigest()[:10].upper()
        return {"channel": {"id": "G" + digest}}

    def _conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel_id = str(self._require(args, "channel", "channel_not_found"))
        return {"channel": copy.deepcopy(self.channels.get(channel_id) or self._default_channel(channel_id))}

    def add_usergroup(self, group: str, users: list[str]) -> None:
        """Register a user group's members for usergroups.users.list (forgotten by `reset`)."""
        with self._cond:
            self._state.usergroups[group] = list(users)

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        """https://api.slack.com/methods/usergroups.users.list: `usergroup` (required) → `{"users": [...]}`;
        an unknown group is `no_such_subteam`."""
        group = str(self._require(args, "usergroup", "invalid_arguments"))
        if group not in self._state.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self._state.usergroups[group])}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        """users.lookupByEmail (https://docs.slack.dev/reference/methods/users.lookupByEmail/): `{"ok", "user"}`
        for a person of the workspace with that email; `users_not_found` otherwise (a bot user included)."""
        email = str(args.get("email") or "").strip().lower()
        for user in self.users.values():
            if not user.get("is_bot") and str(user.get("profile", {}).get("email", "")).lower() == email and email:
                return {"user": copy.deepcopy(user)}
        raise SlackError("users_not_found")

    # -- files
    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(self._require(args, "filename", "invalid_arguments"))
        try:
            length = int(self._require(args, "length", "invalid_arguments"))
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", ["length must be an integer"]) from None
        file_id = self._next_id("F")
        self._state.files[file_id] = {
            "id": file_id, "filename": filename, "length": length, "data": None, "completed": False,
        }  # fmt: skip
        return {"upload_url": f"{self.base_url}/upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", ["missing required field: files"])
        entries = [self._state.files.get(str(f.get("id"))) if isinstance(f, dict) else None for f in files]
        if any(e is None or e["data"] is None for e in entries):
            raise SlackError("file_not_found")
        done = []
        for spec, entry in zip(files, entries, strict=True):
            assert entry is not None
            title = spec.get("title") or entry["filename"]
            entry.update(completed=True, title=title, channel_id=args.get("channel_id"))
            entry.update(initial_comment=args.get("initial_comment"), thread_ts=args.get("thread_ts"))
            done.append({
                "id": entry["id"], "name": entry["filename"], "title": title, "size": len(entry["data"]),
                "user": BOT_USER_ID, "created": int(time.time()),
                "permalink": f"https://fake.slack.com/files/{BOT_USER_ID}/{entry['id']}/{entry['filename']}",
            })  # fmt: skip
        return {"files": done}

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        ticket = self._next_id("ticket")
        return {"url": f"ws://{self.host}:{self.port}/socket-mode/link/?ticket={ticket}&app_id={APP_ID}"}
