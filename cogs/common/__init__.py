"""The Discord edge every feature shares: one way to start a handler, answer a failure, build
a restart-proof component, read a repeated parameter, and respect Discord's limits.

- `interactions`: `begin` (acknowledge first, then who is acting), `say`, `show`, `open_modal`.
- `errors`: the one error path, for slash commands, components and modals alike.
- `components`: bases for buttons, selects and modals that survive a restart.
- `params`: Transformers for the exchange, city, date and zone parameters.
- `text`: clipping, Discord timestamps, pings, embed paging.
- `checks`: per-user cooldowns of commands that post.
- `channels`: a space as Discord has it (an archived thread is fetched, and reopened to change).
- `files`: attachments within Discord's limits (zipped, spread, or left out with a pointer).
- `adapters/` (beside this package): Discord implementations of ports several features use.
"""
