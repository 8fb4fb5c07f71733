"""Japanese search with Pagefind's extended build: pages are segmented with UniDic at build
time and the browser loads only the index chunks a query needs."""

from __future__ import annotations

import logging
import re
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from clipportal.errors import Problem, ToolMissingError
from clipportal.settings import Settings

log = logging.getLogger(__name__)
BUNDLE_DIR = "pagefind"
TERMS_META = "terms"
"""The Pagefind meta field that carries a page's extra search words."""
MAX_TERM_CHARS = 12
"""Longer runs are cut; no query piece is that long."""
_KATAKANA_RUN = re.compile(r"[ァ-ヺー]{2,}")
_KANJI_RUN = re.compile(r"[一-鿿々〆ヶ]{2,}")
_WIDTH_RUN = re.compile(r"[！-～｡-ﾟ]+")
"""Full-width ASCII and half-width katakana, which NFKC folds (the query is NFKC-folded)."""
_NEVER_FIRST = set("ーァィゥェォッャュョヮヵヶ")
"""No segmenter starts a word with these."""
OKURIGANA_VARIANTS: tuple[tuple[str, ...], ...] = (
    ("申込み", "申し込み", "申込"), ("取組み", "取り組み", "取組"), ("受付", "受付け", "受け付け"),
    ("手続き", "手続"), ("問合せ", "問い合わせ", "問合わせ"), ("引継ぎ", "引き継ぎ"),
    ("振込み", "振り込み", "振込"), ("届出", "届け出"), ("取扱い", "取り扱い", "取扱"),
    ("見積り", "見積もり", "見積"), ("打合せ", "打ち合わせ"), ("切替え", "切り替え", "切替"),
    ("読取り", "読み取り"), ("書換え", "書き換え"), ("貸出し", "貸し出し", "貸出"),
    ("払込み", "払い込み"), ("支払い", "支払"), ("割当て", "割り当て"), ("組合せ", "組み合わせ"),
    ("立替え", "立て替え", "立替"), ("売上げ", "売り上げ", "売上"), ("締切り", "締め切り", "締切"),
    ("呼出し", "呼び出し"), ("差替え", "差し替え"), ("繰越し", "繰り越し", "繰越"),
)
"""Okurigana spellings used side by side in Japanese offices (公用文 and everyday forms)."""


def pagefind_exe() -> str:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError as exc:
        raise ToolMissingError(Problem(
            "pagefind", "'pagefind' (extended) not found",
            "install it with pip install 'pagefind[extended]'")) from exc
    return str(get_executable())


def index_site(site_dir: Path, settings: Settings) -> None:
    """Build the search index into site_dir/pagefind."""
    command = [pagefind_exe(), "--site", str(site_dir), "--output-subdir", BUNDLE_DIR,
               "--force-language", settings.language[:2], "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ToolMissingError(Problem("pagefind", "building the search index failed: "
                                       + result.stderr.strip()[-500:],
                                       "run the build again with --verbose"))


def search_terms(texts: Iterable[str]) -> str:
    """Extra words for a page, space-separated, for a `data-pagefind-meta` value (see
    `term_candidates`)."""
    seen: set[str] = set()
    out: list[str] = []
    texts = list(texts)
    # the few okurigana groups the page uses at all (asking each cue for all of them cost
    # more than the rest of the page's terms)
    everything = unicodedata.normalize("NFKC", "\n".join(texts))
    groups = [g for g in OKURIGANA_VARIANTS if any(form in everything for form in g)]
    for text in texts:
        for word in _term_candidates(text, groups):
            if word and word not in seen:
                seen.add(word)
                out.append(word)
    return " ".join(out)


def _term_candidates(text: str,
                     groups: Sequence[tuple[str, ...]] = OKURIGANA_VARIANTS) -> Iterator[str]:
    """The index half of clipportal's fix for Japanese queries (the search page prepares the
    query too; scripts/measure_search.py measures both).

    Pagefind splits pages with UniDic and queries with the browser's ICU segmenter, then
    wants every query piece to begin a word of the page. The two disagree: ICU cuts
    キャッシュ|レス and 要|介護 where UniDic keeps one word (pagefind#1237), UniDic cuts
    チャット|ボット where ICU keeps one, and Pagefind reads a run of kanji without kana (a
    tag such as 所要時間) as Chinese, one character a word. Words in a meta value are indexed
    as they are, unsegmented, so this adds, for the page: every kanji and katakana run whole
    and from each inner position (so any piece ICU may cut begins a word), NFKC forms
    (ＢＰＲ, ｷｬｯｼｭﾚｽ), katakana words without their last ー, and the other okurigana
    spellings of common office words.
    """
    for run in _WIDTH_RUN.findall(text):
        yield unicodedata.normalize("NFKC", run).strip().lower()
    normal = unicodedata.normalize("NFKC", text)
    for run in _KATAKANA_RUN.findall(normal) + _KANJI_RUN.findall(normal):
        yield from _suffixes(run)
        if run.endswith("ー") and len(run) >= 4:
            yield run[:-1]
    for group in groups:
        if any(form in normal for form in group):
            yield from group


def _suffixes(run: str) -> Iterator[str]:
    """`キャッシュレス` → キャッシュレス, キャッシュレス's inner starts シュレス, レス: wherever a
    segmenter may cut the run, a word begins."""
    return (run[i:i + MAX_TERM_CHARS] for i in range(len(run) - 1)
            if run[i] not in _NEVER_FIRST)
