"""Finding many members by name with few searches.

Discord finds members by a prefix of their username or nickname, at most `limit` (1,000) a
search, and without the privileged members intent there is no other way to find a name.
One search per name is ~110 a minute over the gateway: a class of 5,000 would outlive the
15 minutes an interaction lives. Here names are searched together by their first letter, and
only a prefix whose search came back full is narrowed by one more letter, so a roster of
thousands takes tens of searches, not thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

M = TypeVar("M")

Search = Callable[[str], Awaitable[Sequence[M]]]
Progress = Callable[[int, int], Awaitable[None]]


def _groups(keys: Iterable[str], length: int) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        found[key[:length]].append(key)
    return found


async def find_by_prefix(
    names: Iterable[str],
    search: Search[M],
    names_of: Callable[[M], Iterable[str]],
    *,
    limit: int,
    progress: Progress | None = None,
) -> dict[str, list[M]]:
    """Each name (case-folded) → the members one of whose names (`names_of`) it is exactly.

    `search(prefix)` returns members whose username or nickname starts with `prefix`, at most
    `limit`. A name whose prefix search came back full is searched again with a longer
    prefix; one that *is* such a prefix (a thousand members start with it) is not found.
    `progress(done, total)` is told after each search.
    """
    keys = sorted({name.casefold() for name in names if name})
    total = len(keys)
    found: dict[str, list[M]] = {}
    queue = list(_groups(keys, 1).items())
    while queue:
        prefix, group = queue.pop(0)
        members = await search(prefix)
        full = len(members) >= limit
        by_name: dict[str, list[M]] = defaultdict(list)
        for member in members:
            for own in {n.casefold() for n in names_of(member) if n}:
                by_name[own].append(member)
        narrower: list[str] = []
        for key in group:
            if by_name.get(key) or not full or len(key) <= len(prefix):
                found[key] = by_name.get(key, [])
            else:
                narrower.append(key)
        queue += list(_groups(narrower, len(prefix) + 1).items())
        if progress is not None:
            await progress(len(found), total)
    return found
