"""The loopback Discord: a gateway and REST server the real discord.py client logs into.

`Sandbox` (in `bot.sandbox.driver`) starts it with the real bot and plays the users.
"""
