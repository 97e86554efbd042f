"""Discord-facing extensions: commands, views and embeds. Thin: they call services."""
