"""Chess in words, in the reader's language: pieces, moves, time controls, clocks, endings."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from bot.domain.chess_game import Color, GameStatus, PlayedMove, TimeControl, TimeControlKind
from bot.domain.chess_league import points_text
from bot.i18n import t
from bot.services.chess import GameLine, GameView, Moved
from cogs.common.text import mention, shown, timestamp


def piece_name(symbol: str, language: str) -> str:
    """ "Knight", "Caballo", "الحصان": a piece by its letter (either colour)."""
    return t(f"chess.piece.{symbol.lower()}", language)


def colour_name(color: Color, language: str) -> str:
    return t(f"chess.colour.{color.value}", language)


def move_in_words(played: PlayedMove, language: str) -> str:
    """ "knight g1 → f3", "castles king-side": the move for students who don't read SAN."""
    if played.castling:
        return t(f"chess.words.castle_{played.castling}", language)
    piece = piece_name(played.piece, language)
    if played.captured:
        text = t(
            "chess.words.capture",
            language,
            piece=piece,
            origin=played.from_square,
            target=played.to_square,
            captured=piece_name(played.captured, language),
        )
    else:
        text = t(
            "chess.words.move",
            language,
            piece=piece,
            origin=played.from_square,
            target=played.to_square,
        )
    if played.promotion:
        text += t("chess.words.promote", language, piece=piece_name(played.promotion, language))
    return text


def time_control_text(tc: TimeControl, language: str) -> str:
    """ "2 days per move", "10 min + 5 s"."""
    if tc.kind is TimeControlKind.CORRESPONDENCE:
        days = tc.base.days
        return t("chess.time.day" if days == 1 else "chess.time.days", language, days=days)
    return t(
        "chess.time.live",
        language,
        minutes=int(tc.base.total_seconds()) // 60,
        increment=int(tc.increment.total_seconds()),
    )


def clock_text(left: timedelta) -> str:
    """9:35 or 1:02:03."""
    seconds = max(0, int(left.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def ending_text(view: GameView, language: str) -> str:
    """How a finished game ended: "Game #1: Ben wins by checkmate (1-0)."."""
    result = view.result
    assert result is not None
    winner = view.player(result.winner) if result.winner else None
    term = result.termination.value
    if term == "timeout" and winner is None:
        term = "timeout_draw"
    loser = view.player(result.winner.other) if result.winner else view.to_move
    return t(
        f"chess.over.{term}",
        language,
        game=view.id,
        winner=shown(winner.name) if winner else "",
        loser=shown(loser.name),
        result=result.pgn_result,
    )


def languages_of(view: GameView) -> list[str]:
    """The players' languages, each once: an ending is announced in all of them."""
    return list(dict.fromkeys(p.language for p in view.players))


def turn_text(view: GameView, played: PlayedMove | None, lang: str) -> str:
    """The "your turn" notice: who is to move, and the move just made in SAN and in words."""
    who = view.to_move
    if played is None:
        text = t(
            "chess.first_turn",
            lang,
            mention=mention(who.user_id),
            game=view.id,
            colour=colour_name(who.color, lang),
        )
    else:
        text = t(
            "chess.your_turn",
            lang,
            mention=mention(who.user_id),
            game=view.id,
            name=view.player(played.color).name,
            san=played.san,
            words=move_in_words(played, lang),
        )
    if view.game.is_check:
        text += " " + t("chess.check_note", lang)
    if view.game.can_claim_draw:
        text += "\n" + t("chess.claim_note", lang)
    return text


def played_text(moved: Moved, lang: str) -> str:
    """What the mover is told: the move, in SAN and in words, and the ending it made."""
    text = t(
        "chess.played",
        lang,
        san=moved.played.san,
        words=move_in_words(moved.played, lang),
        game=moved.view.id,
    )
    if moved.view.result is not None:
        text += "\n" + ending_text(moved.view, lang)
    return text


def game_line(line: GameLine, lang: str, *, plain: bool = False) -> str:
    """One game in a list (`plain`: no Discord markup, for autocomplete)."""
    colour = colour_name(line.color, lang)
    if line.status is GameStatus.ACTIVE:
        key = "chess.line.mine" if line.my_turn else "chess.line.theirs"
        due = timestamp(line.deadline, "R") if line.deadline is not None and not plain else ""
        return t(key, lang, game=line.id, opponent=line.opponent, colour=colour, due=due).strip(
            " ·"
        )
    if line.status is GameStatus.OFFERED:
        return t("chess.line.offered", lang, game=line.id, opponent=line.opponent, colour=colour)
    if line.status is GameStatus.FINISHED:
        outcome = (
            ("draw" if line.score == 0.5 else "win" if line.score == 1.0 else "loss")
            if line.score is not None
            else "draw"
        )
        return t(
            "chess.line.finished",
            lang,
            game=line.id,
            opponent=line.opponent,
            colour=colour,
            outcome=t(f"chess.outcome.{outcome}", lang),
            how=t(f"chess.term.{line.termination}", lang),
            result=line.result or "",
        )
    return t(
        "chess.line.closed",
        lang,
        game=line.id,
        opponent=line.opponent,
        status=t(f"chess.status.{line.status}", lang),
    )


STANDINGS_PER_PAGE = 15


class PlayerResult(Protocol):
    """A student's results as both standings show them (an exchange's and a league season's)."""

    @property
    def name(self) -> str: ...
    @property
    def city(self) -> str: ...
    @property
    def played(self) -> int: ...
    @property
    def wins(self) -> int: ...
    @property
    def draws(self) -> int: ...
    @property
    def losses(self) -> int: ...
    @property
    def points(self) -> float: ...
    @property
    def rating(self) -> int: ...


def standings_lines(
    rows: Sequence[PlayerResult], page: int, lang: str
) -> tuple[list[str], int, int]:
    """One page of ranked player rows, the page shown (clamped to the last) and the page count."""
    pages = max(1, math.ceil(len(rows) / STANDINGS_PER_PAGE))
    page = min(page, pages)
    first = (page - 1) * STANDINGS_PER_PAGE
    lines = [
        t(
            "chess.standings_row",
            lang,
            rank=rank,
            name=shown(row.name),
            city=shown(row.city),
            points=points_text(row.points),
            played=row.played,
            wins=row.wins,
            draws=row.draws,
            losses=row.losses,
            rating=row.rating,
        )
        for rank, row in enumerate(rows[first : first + STANDINGS_PER_PAGE], start=first + 1)
    ]
    return lines, page, pages
