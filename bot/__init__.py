"""Twinbridge: a Discord bot for sister-city virtual exchanges between schools."""

__version__ = "0.1.0"
