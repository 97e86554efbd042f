"""The bot's own HTTP server for operators: `/healthz`, `/metrics` (and later a dashboard)."""

from bot.web.server import WebServer, build_app

__all__ = ["WebServer", "build_app"]
