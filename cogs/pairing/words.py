"""Pairing in words: why a group was made, in the reader's language."""

from __future__ import annotations

from typing import Any

from bot.domain.exchange import native_name
from bot.i18n import listing, t
from cogs.common.text import interest_label


def reasons_text(reasons: dict[str, Any], language: str) -> str:
    """Why a group was made, in one or two lines."""
    parts = []
    shared = reasons.get("shared_interests") or []
    if shared:
        labels = listing((interest_label(i, language) for i in shared), language)
        parts.append(t("pair.why_interests", language, interests=labels))
    if reasons.get("same_grade_band"):
        parts.append(t("pair.why_grade", language))
    common = reasons.get("common_languages") or []
    if common:
        parts.append(
            t(
                "pair.why_language",
                language,
                languages=listing(map(native_name, common), language),
            )
        )
    hours = reasons.get("waking_overlap_hours")
    if hours:
        parts.append(t("pair.why_awake", language, hours=f"{hours:g}"))
    if reasons.get("repeats_earlier_partner"):
        parts.append(t("pair.why_repeat", language))
    return " · ".join(parts) or t("pair.why_balance", language)
