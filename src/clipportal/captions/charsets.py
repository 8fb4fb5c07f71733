"""Decode text files as they arrive from Japanese offices, or refuse to guess.

Caption files come from Windows tools (CP932), old Unix systems (EUC-JP), editors that
write UTF-16 with a byte-order mark, and modern tools (UTF-8, with or without BOM).
Guessing wrong puts mojibake on a public website, so the rule is: decide only when the
evidence is clear, otherwise raise `UnknownEncodingError` and let the caller name the file.

Order of evidence: a byte-order mark; NUL bytes (UTF-16 without a BOM, or binary);
ISO-2022-JP escape sequences; then every candidate codec that decodes the bytes *strictly*
is scored by how plausible its text is for the track's language, and charset-normalizer
breaks ties or covers encodings outside the candidate list.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import charset_normalizer

logger = logging.getLogger(__name__)

MIN_SCORE = 0.55
"""Below this average plausibility a decoding is not believed, even if it is the only one."""
MARGIN = 0.2
"""The winner must beat every decoding that gives a different text by this much."""
UTF8_BONUS = 0.3
"""Strictly valid UTF-8 with multi-byte characters is rarely an accident."""
MAX_CHAOS = 0.1
"""charset-normalizer's own mess ratio above which its guess is not trusted."""

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ISO2022_ESCAPE = re.compile(rb"\x1b(?:\$[@B]|\(J|\(I|\$\(D)")
_JAPANESE_CODECS = ("cp932", "euc_jp")
_CP1252_LANGS = frozenset(
    ["en", "es", "pt", "fr", "de", "it", "nl", "id", "tl", "ms", "sv", "da", "no", "nb", "fi"]
)
_LATIN_LANGS = _CP1252_LANGS | frozenset(["vi", "pl", "cs", "ro", "hu", "tr", "sw"])
_CODEC_FAMILY = {"shift_jis": "cp932", "shift_jis_2004": "cp932", "shift_jisx0213": "cp932"}
# Signs from U+2000 up (quotes, dashes, ※, →, ★, ♪, emoji) are normal in captions, except
# these, which are what CP932 lead bytes look like when misread as CP1252.
_MOJIBAKE_SIGNS = frozenset("‚„†‡‰‹›")


@dataclass(frozen=True)
class Decoded:
    """Text and the codec it was decoded with."""

    text: str
    encoding: str


@dataclass(frozen=True)
class _Candidate:
    encoding: str
    text: str
    score: float
    rank: float


class UnknownEncodingError(ValueError):
    """The bytes cannot be decoded with confidence; the message says why."""


def decode_text(data: bytes, lang: str = "ja") -> Decoded:
    """Decode `data`, a text file for a track in language `lang` (a BCP 47 tag)."""
    by_bom = _decode_bom(data)
    if by_bom is not None:
        return by_bom
    if b"\x00" in data:
        return _decode_utf16_without_bom(data)
    if _ISO2022_ESCAPE.search(data):
        return _decode_strict(data, "iso2022_jp")
    return _choose(data, lang)


def _decode_bom(data: bytes) -> Decoded | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_strict(data[len(bom) :], encoding)
    return None


def _decode_strict(data: bytes, encoding: str) -> Decoded:
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as err:
        raise UnknownEncodingError(
            f"it looks like {encoding} but byte {err.start} is not valid {encoding}"
        ) from None


def _decode_utf16_without_bom(data: bytes) -> Decoded:
    # ASCII (all the timings) in UTF-16 puts a NUL in every other byte; CJK characters
    # such as U+3000 or U+4E00 put a few on the other side. NULs spread evenly, or
    # rarely, mean a binary file.
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if len(data) % 2 == 0 and odd > len(data) // 8 and even * 4 < odd:
        return _decode_strict(data, "utf-16-le")
    if len(data) % 2 == 0 and even > len(data) // 8 and odd * 4 < even:
        return _decode_strict(data, "utf-16-be")
    raise UnknownEncodingError("it contains NUL bytes, so it is not a text file")


def _candidates(data: bytes, lang: str) -> Iterator[_Candidate]:
    profile = _profile(lang)
    for encoding in _codecs_for(data, lang):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = plausibility(text, profile)
        bonus = UTF8_BONUS if encoding == "utf-8" and not text.isascii() else 0.0
        yield _Candidate(encoding, text, score, score + bonus)


def _codecs_for(data: bytes, lang: str) -> tuple[str, ...]:
    # Japanese offices save in CP932 or EUC-JP, also for English captions. Western files
    # from Windows tools are often CP1252 (curly quotes), which decodes any bytes, so it
    # only competes when the bytes are not UTF-8. Chinese and Korean legacy bytes often
    # decode as EUC-JP too, so for those languages charset-normalizer decides.
    if _profile(lang) == "neutral":
        return ("utf-8",)
    western = _primary(lang) in _CP1252_LANGS and not _is_utf8(data)
    return ("utf-8", *_JAPANESE_CODECS, *(("cp1252",) if western else ()))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _choose(data: bytes, lang: str) -> Decoded:
    ranked = sorted(_candidates(data, lang), key=lambda c: c.rank, reverse=True)
    if ranked and _is_confident(ranked):
        return Decoded(ranked[0].text, ranked[0].encoding)
    near = [c for c in ranked if ranked[0].rank - c.rank < MARGIN]
    close = [c for c in near if c.score >= MIN_SCORE]
    try:
        return _ask_charset_normalizer(data, close, _profile(lang))
    except UnknownEncodingError:
        if len(near) < 2:
            raise
        raise UnknownEncodingError(_ambiguity(near)) from None


def _is_confident(ranked: list[_Candidate]) -> bool:
    best = ranked[0]
    rivals = [c for c in ranked[1:] if c.text != best.text]
    return best.score >= MIN_SCORE and all(best.rank - c.rank >= MARGIN for c in rivals)


def _ask_charset_normalizer(data: bytes, close: list[_Candidate], profile: str) -> Decoded:
    guess = charset_normalizer.from_bytes(data).best()
    if guess is None:
        raise UnknownEncodingError(
            "it is not valid UTF-8, CP932 (Shift_JIS) or EUC-JP; parts may be saved "
            "in different encodings, or it is not a text file"
        )
    family = _family(guess.encoding)
    chosen = [c for c in close if _family(c.encoding) == family]
    if chosen:
        return Decoded(chosen[0].text, chosen[0].encoding)
    if close:
        raise UnknownEncodingError("several encodings fit it equally well")
    return _accept_guess(data, str(guess), guess.encoding, guess.chaos, profile)


def _accept_guess(data: bytes, text: str, encoding: str, chaos: float, profile: str) -> Decoded:
    # A Japanese track only comes in the codecs tried already; anything else is mojibake
    # (GB18030 in particular decodes almost any bytes). For Latin-script languages only
    # single-byte codecs (one character per byte) are believable.
    single_byte = len(text) == len(data)
    believable = profile == "neutral" or (profile == "latin" and single_byte)
    if not believable or chaos > MAX_CHAOS or plausibility(text, profile) < MIN_SCORE:
        raise UnknownEncodingError(f"no Japanese or Unicode encoding fits (closest: {encoding})")
    logger.debug("charset-normalizer decided on %s", encoding)
    return Decoded(text, encoding)


def _ambiguity(near: list[_Candidate]) -> str:
    names = " or ".join(c.encoding for c in near)
    return f"it reads about equally well (or badly) as {names}"


def _family(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name.replace("-", "_")
    except LookupError:
        return encoding
    return _CODEC_FAMILY.get(name, name)


def _profile(lang: str) -> str:
    primary = _primary(lang)
    if primary == "ja":
        return "ja"
    return "latin" if primary in _LATIN_LANGS else "neutral"


def _primary(lang: str) -> str:
    return lang.split("-", 1)[0].lower()


def plausibility(text: str, profile: str) -> float:
    """Average plausibility (up to 1.0, negative for garbage) of the non-ASCII characters.

    `profile` is "ja", "latin" or "neutral" (see `_WEIGHTS`). Pure ASCII scores 1.0.
    For Japanese, kana, Japanese punctuation and common (JIS level 1) kanji score 1.0,
    rare kanji and half-width katakana less, other scripts less still; private-use,
    unassigned and control characters count against in every profile.
    """
    # by distinct character: a caption file repeats a few hundred characters thousands of times
    counts = Counter(text)
    other = [(ch, n) for ch, n in counts.items() if not ch.isascii()]
    total = sum(n for _, n in other)
    if not total:
        return 1.0
    weights = sum(_weight(ch, profile) * n for ch, n in other)
    return weights / total * _kana_factor(other, profile)


def _kana_factor(counts: list[tuple[str, int]], profile: str) -> float:
    # Real Japanese prose always has kana; a long run of kanji without any is usually
    # half-width katakana or another codec's bytes misread as EUC-JP.
    cjk = sum(n for ch, n in counts if "\u4e00" <= ch <= "\u9fff")
    has_kana = any(_is_kana(ch) for ch, _ in counts)
    return 0.6 if profile == "ja" and cjk >= 6 and not has_kana else 1.0


@lru_cache(maxsize=8192)
def _weight(ch: str, profile: str) -> float:
    kind = _char_kind(ch)
    return -1.0 if kind == "bad" else _WEIGHTS[profile][kind]


# Column order: kana, kanji1, kanji2, cjk, halfwidth, letter, punct, symbol.
_KINDS = ("kana", "kanji1", "kanji2", "cjk", "halfwidth", "letter", "punct", "symbol")
_WEIGHTS = {
    "ja": dict(zip(_KINDS, (1.0, 1.0, 0.6, 0.3, 0.6, 0.4, 1.0, 0.2), strict=True)),
    # Japanese names and terms do turn up in English or Portuguese captions.
    "latin": dict(zip(_KINDS, (0.7, 0.7, 0.4, 0.4, 0.3, 1.0, 1.0, 0.2), strict=True)),
    "neutral": dict(zip(_KINDS, (1.0, 1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 0.2), strict=True)),
}


def _char_kind(ch: str) -> str:
    category = unicodedata.category(ch)
    if category in ("Cc", "Co", "Cn", "Cs") or ch == "\ufffd":
        return "bad"
    if _is_kana(ch) or "\u3000" <= ch <= "\u303f" or "\uff01" <= ch <= "\uff5e":
        return "kana"
    if "\uff61" <= ch <= "\uff9f":
        return "halfwidth"
    if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf":
        return _kanji_level(ch)
    if category[0] in "LMN" or "\u00a0" <= ch <= "\u00ff":
        return "letter"
    return "punct" if ch >= "\u2000" and ch not in _MOJIBAKE_SIGNS else "symbol"


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff" and ch not in "\u3097\u3098"


def _kanji_level(ch: str) -> str:
    # JIS X 0208 puts common kanji (level 1) in rows 16-47, i.e. EUC-JP lead bytes
    # 0xB0-0xCF; rarer ones (level 2) follow. Mojibake lands mostly in the rare ones.
    try:
        lead = ch.encode("euc_jp")[0]
    except UnicodeEncodeError:
        return "cjk"
    return "kanji1" if lead < 0xD0 else "kanji2"
