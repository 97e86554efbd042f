"""REST calls straight to the sandbox, bypassing discord.py (for the sandbox's own tests)."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.sandbox.driver import Sandbox
from bot.sandbox.server import TEST_REQUEST


async def call(
    sb: Sandbox, method: str, path: str, body: Any = None, auth: bool = True
) -> tuple[int, Any, dict[str, str]]:
    """Status, decoded body and headers of one request to the sandbox's `/api/v10`."""
    headers = {"Authorization": f"Bot {sb.server.token}"} if auth else {}
    headers[TEST_REQUEST] = "1"  # the test speaking, not the bot: no pseudo-locale check
    async with (
        aiohttp.ClientSession() as session,
        session.request(
            method, sb.server.base_url + "/api/v10" + path, json=body, headers=headers
        ) as r,
    ):
        text = await r.text()
        try:
            decoded = json.loads(text) if text else None
        except ValueError:
            decoded = text
        return r.status, decoded, dict(r.headers)


async def raw(
    sb: Sandbox, method: str, path: str, body: Any = None, auth: bool = True
) -> tuple[int, Any]:
    """Status and decoded body of one request to the sandbox."""
    status, answer, _ = await call(sb, method, path, body, auth)
    return status, answer
