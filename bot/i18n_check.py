"""What each catalogue lacks or gets wrong against English: `python -m bot i18n check`.

English is the reference: a key English has and a language lacks is missing (the reader sees
English there); a key a language has and English no longer has is stale; a translation must
read the same placeholders, and each counted name must carry exactly the plural categories
CLDR gives the language (exact `=N` forms are extra and always allowed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import plurals
from bot.i18n import DEFAULT_LANGUAGE, _catalogue, available_languages, plural_categories


@dataclass
class LanguageCheck:
    """The findings for one language; `ok` when there is nothing to fix."""

    language: str
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    broken: dict[str, str] = field(default_factory=dict)  # key → the syntax error
    placeholders: dict[str, str] = field(default_factory=dict)  # key → what differs
    plurals: dict[str, str] = field(default_factory=dict)  # key → what differs

    @property
    def ok(self) -> bool:
        """Nothing missing, stale, malformed or mismatched."""
        return not (self.missing or self.stale or self.broken or self.placeholders or self.plurals)

    def lines(self) -> list[str]:
        """A readable account, one finding a line."""
        total = len(_catalogue(DEFAULT_LANGUAGE))
        have = total - len(self.missing)
        out = [
            f"{self.language}: {have}/{total} keys translated" + (" — all good" if self.ok else "")
        ]
        out += [f"  missing       {k}" for k in self.missing]
        out += [f"  stale         {k} (English no longer has it: delete it)" for k in self.stale]
        out += [f"  syntax        {k}: {why}" for k, why in self.broken.items()]
        out += [f"  placeholders  {k}: {why}" for k, why in self.placeholders.items()]
        out += [f"  plural forms  {k}: {why}" for k, why in self.plurals.items()]
        return out


def _names(found: set[str]) -> str:
    return ", ".join(sorted(found)) or "none"


def check(language: str) -> LanguageCheck:
    """Compare `language`'s catalogue with English's."""
    english = _catalogue(DEFAULT_LANGUAGE)
    own = _catalogue(language)
    result = LanguageCheck(language)
    result.missing = sorted(english.keys() - own.keys())
    result.stale = sorted(own.keys() - english.keys())
    wanted = plural_categories(language)
    for key in sorted(own.keys() & english.keys()):
        try:
            theirs = plurals.placeholders(own[key])
            forms = plurals.plural_forms(own[key])
        except plurals.MessageSyntaxError as exc:
            result.broken[key] = str(exc)
            continue
        ours = plurals.placeholders(english[key])
        if theirs != ours:
            result.placeholders[key] = f"has {_names(theirs)}, English has {_names(ours)}"
        elif (written := plurals.numbers(own[key])) != (
            wanted_numbers := plurals.numbers(english[key])
        ):
            # A quantity English writes the language's way ("1,234") must be one here too.
            result.placeholders[key] = (
                f"writes {_names(written)} as numbers, English writes {_names(wanted_numbers)}"
            )
        counted = set(plurals.plural_forms(english[key]))
        if set(forms) != counted:
            result.plurals[key] = (
                f"counts {_names(set(forms))} with plural forms, English counts {_names(counted)}"
            )
            continue
        for name, categories in forms.items():
            if categories != wanted:
                result.plurals[key] = (
                    f"{name} has {_names(categories)}; {language} needs {_names(wanted)}"
                )
    return result


def check_all(languages: list[str] | None = None) -> list[LanguageCheck]:
    """The findings for each language (all catalogues by default)."""
    return [check(language) for language in languages or available_languages()]


def main(languages: list[str] | None = None) -> int:
    """Print the findings; 1 when any language has something to fix."""
    results = check_all(languages)
    for result in results:
        print("\n".join(result.lines()))
    return 0 if all(r.ok for r in results) else 1
