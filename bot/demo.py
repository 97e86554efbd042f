"""`make demo`: the whole exchange, offline, in the loopback sandbox."""

from __future__ import annotations


async def run_demo(output: str) -> int:
    """Run the scripted scenario and print its transcript."""
    print("The offline demo is not built yet: it arrives with the loopback sandbox.")
    return 0
