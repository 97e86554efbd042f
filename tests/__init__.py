"""Twinbridge's tests.

Set before any test module imports the bot: `bot.i18n.t` raises for a count of the wrong type
(a float, a string) instead of logging it, so such a slip fails the story that makes it.
"""

import os

os.environ["TWINBRIDGE_STRICT_TEXT"] = "1"
