#!/usr/bin/env python3
"""Measure Japanese search quality in a real browser, on the demo portal and on a generated
200-clip portal, before and after clipportal's fixes for Japanese: extra index words per page
(clipportal.search.search_terms) and query preparation on the search page.

    .venv/bin/python scripts/measure_search.py                 # both portals, before and after
    .venv/bin/python scripts/measure_search.py --portal demo   # the demo portal only
    .venv/bin/python scripts/measure_search.py --only after --verbose

Each query is typed into the site's own search page (`search/?q=…`) in Chromium and the hits
are read from [data-search-results]. Figures per portal and variant:

- recall@3: share of the relevant clips found in the top 3 (out of min(3, relevant)), mean
- pass@3:   queries whose top 3 hold min(3, relevant) relevant clips
- top-1:    queries whose first hit is relevant
- recall:   share of relevant clips found anywhere in the hits, mean
- precision: share of the hits that are relevant, mean (queries with hits)
- extra:    hits that are not relevant, summed over the queries

"before" is plain Pagefind: no extra index words in the pages, and the search page passes the
query as typed (window.clipportalSearchRaw). "after" is the site as built.

On the demo portal the relevant clips are written by hand. On the generated portal they are
the clips whose indexed text (title, description, tags, speakers, chapter titles, topic name,
transcript) contains the query (NFKC-normalised; any listed spelling variant counts; every
space-separated part for multi-word queries).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))
from browserenv import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402

RAW_QUERY = "window.clipportalSearchRaw = true;"
"""The baseline: the search page hands the query to Pagefind as typed."""


@dataclass(frozen=True)
class Query:
    text: str
    kind: str
    expected: frozenset[str] = frozenset()
    """Relevant clip slugs (demo); computed from the corpus when empty (generated portal)."""
    variants: tuple[str, ...] = ()
    """Other spellings that also make a clip relevant (okurigana, long vowels)."""


def q(text: str, kind: str, *expected: str, variants: tuple[str, ...] = ()) -> Query:
    return Query(text, kind, frozenset(expected), variants)


BPR4 = ("goal-setting-basics", "goal-realistic-target", "tool-selection-rpa", "voices-goal-image")
DEMO_QUERIES: tuple[Query, ...] = (
    q("業務フロー", "compound", "flow-mapping-steps", "flow-mapping-time",
      "voices-time-reduction"),
    q("デジタル化", "katakana+kanji", "goal-realistic-target", "tool-selection-cloud",
      "tool-selection-rpa"),
    q("ツール選定", "katakana+kanji", "tool-selection-cloud", "tool-selection-rpa"),
    q("職員の声", "compound", "voices-goal-image", "voices-time-reduction"),
    q("申請手続き", "compound", "flow-mapping-steps", "flow-mapping-time"),
    q("キャッシュレス", "katakana", "voices-time-reduction"),
    q("キャッシュレス決済", "katakana+kanji", "voices-time-reduction"),
    q("ペーパーレス", "katakana", "flow-mapping-steps", "tool-selection-cloud"),
    q("クラウドサービス", "katakana", "tool-selection-cloud"),
    q("ソフトウェアロボット", "katakana", "tool-selection-rpa"),
    q("セキュリティ", "katakana", "tool-selection-cloud"),
    q("RPA", "acronym", "tool-selection-rpa", "voices-time-reduction"),
    q("BPR", "acronym", *BPR4),
    q("ＢＰＲ", "full-width", *BPR4),
    q("ＲＰＡ", "full-width", "tool-selection-rpa", "voices-time-reduction"),
    q("ﾍﾟｰﾊﾟｰﾚｽ", "half-width", "flow-mapping-steps", "tool-selection-cloud"),
    q("ｷｬｯｼｭﾚｽ", "half-width", "voices-time-reduction"),
    q("所要時間", "compound", "flow-mapping-time", "voices-time-reduction"),
    q("待ち時間", "compound", "flow-mapping-time"),
    q("目標設定", "compound", "goal-setting-basics", "goal-realistic-target",
      "voices-goal-image"),
    q("数値目標", "compound", "goal-realistic-target"),
    q("電子申請", "compound", "flow-mapping-time"),
    q("定型作業", "compound", "tool-selection-rpa"),
    q("抜け漏れ", "okurigana", "flow-mapping-steps"),
    q("情報政策課", "compound", "tool-selection-cloud", "tool-selection-rpa"),
    q("作業時間 削減", "multi-word", "voices-time-reduction"),
    q("保育園の入園申込み", "caption-only", "goal-setting-basics"),
    q("入園の申し込み", "okurigana caption", "goal-setting-basics"),
    q("押印の廃止", "caption-only", "goal-realistic-target"),
    q("紙の台帳", "caption-only", "flow-mapping-steps"),
    q("住民票の写しの交付申請", "caption-only", "flow-mapping-time"),
    q("会議室の予約", "caption-only", "tool-selection-cloud"),
    q("システムへの転記作業", "caption-only", "tool-selection-rpa"),
    q("毎朝の朝礼", "caption-only", "voices-goal-image"),
    q("納税通知書の封入", "caption-only", "voices-time-reduction"),
)


# ---------------------------------------------------------------------------------------------
# The generated portal: 200 clips with varied municipal vocabulary and long transcripts.

SERVICES = (
    ("住民票の写しの交付", "市民課"), ("印鑑登録証明書の発行", "市民課"),
    ("転入届の受付", "市民課"), ("児童手当の申請", "子育て支援課"),
    ("保育園の入園申込み", "子育て支援課"), ("放課後児童クラブの申込み", "子育て支援課"),
    ("乳幼児健診の予約", "保健センター"), ("介護保険の要介護認定", "介護保険課"),
    ("住宅改修費の支給", "介護保険課"), ("国民健康保険の加入手続き", "保険年金課"),
    ("固定資産税の課税", "税務課"), ("軽自動車税の減免", "税務課"),
    ("納税通知書の封入", "税務課"), ("粗大ごみの収集受付", "環境課"),
    ("犬の登録", "環境課"), ("道路占用の許可", "道路課"), ("図書館の予約受付", "図書館"),
    ("会議室の予約", "総務課"), ("職員の出張旅費精算", "会計課"), ("公文書の管理", "総務課"),
    ("議事録の作成", "議会事務局"), ("補助金の交付申請", "産業振興課"),
    ("契約書の作成", "契約課"), ("給与の支払事務", "人事課"), ("施設使用料の収納", "会計課"),
    ("防災メールの配信", "防災課"), ("健康診断の案内", "人事課"),
    ("罹災証明書の発行", "防災課"), ("空き家の相談受付", "住宅課"),
    ("選挙の投票所運営", "選挙管理委員会事務局"),
)
TOOLS = (
    "RPA", "AI-OCR", "チャットボット", "キャッシュレス決済", "オンライン申請",
    "電子申請システム", "クラウドサービス", "ペーパーレス会議", "タブレット端末",
    "ローコードツール", "データ連携", "マイナンバーカード", "ウェブ会議", "ビジネスチャット",
    "ワークフローシステム", "スマートフォンアプリ", "コールセンター", "セルフレジ",
    "キオスク端末", "ダッシュボード", "音声認識", "QRコード決済", "グループウェア",
    "テレワーク", "電子契約", "電子決裁", "ヘルプデスク", "アウトソーシング",
    "ソフトウェアロボット", "ファイルサーバ", "LGWAN", "オープンデータ",
)
EFFECTS = (
    "作業時間を{n}%削減できました", "窓口の待ち時間が{n}分短くなりました",
    "入力ミスがほとんどなくなりました", "紙の使用量が半分になりました",
    "残業時間が月{n}時間減りました", "電話での問い合わせが{n}件減りました",
    "住民が来庁せずに手続きできるようになりました",
)
RARE_CASES = (
    "児童館の利用登録", "公園の占用許可", "住宅用火災警報器の給付", "狂犬病予防注射の案内",
    "自転車駐車場の定期利用", "放置自転車の撤去", "成人式の案内状", "敬老祝い金の支給",
    "水道の開栓受付", "戸籍謄本の郵送請求", "商店街の補助金", "路上喫煙の巡回",
    "カーブミラーの修繕依頼", "街路灯の球切れ連絡", "ごみ集積所の移設相談",
    "エレベーターの定期点検", "ハザードマップの配布", "避難所の備蓄品点検",
    "学童保育の待機児童", "給食費の口座振替", "就学援助の申請", "奨学金の返還相談",
    "パスポートの受け取り", "マイナポイントの申込み支援", "プレミアム商品券の販売",
    "ふるさと納税の返礼品", "コミュニティバスの時刻表", "シェアサイクルの実証実験",
)
GENERIC = (
    "まず現状を正しく知ることが大切です。", "担当者だけで抱え込まないようにしました。",
    "係のみんなで話し合いました。", "最初は反対の意見もありました。",
    "小さく試してから広げることにしました。", "手順を一つずつ書き出しました。",
    "どこに時間がかかっているかを測りました。", "住民の立場で考え直しました。",
    "前の年のやり方をそのまま続けていました。", "紙の書類を何度も回していました。",
    "同じ情報を何回も入力していました。", "確認のための電話が多くありました。",
    "結果を数字で確かめました。", "課長にも早めに相談しました。",
    "他の自治体の事例も参考にしました。", "費用と効果を比べました。",
    "説明会を開いて意見を集めました。", "マニュアルを作り直しました。",
    "うまくいかなかった点も記録しました。", "次の年度も続けていく予定です。",
    "繁忙期には応援の職員が入ります。", "決裁までの日数も測りました。",
    "研修の内容を係で共有しました。", "問い合わせの多い項目を分析しました。",
    "取り組みのきっかけは住民からの問合せでした。", "申請書の様式も見直しました。",
    "受付の時間帯ごとの件数を数えました。", "窓口の配置を変えてみました。",
    "職員アンケートで困りごとを集めました。", "データを表計算ソフトで整理しました。",
    "月に一度、進み具合を確認しています。", "引継ぎの資料も作りました。",
    "現場の声を聞くことから始めました。", "庁内の情報共有が進みました。",
    "住民説明会での質問も参考にしました。", "業務の棚卸しを行いました。",
    "外部の専門家にも相談しました。", "新しい手順を試行しました。",
    "紙の台帳を電子化しました。", "押印を見直しました。", "郵送の手間を減らしました。",
    "よくある質問のページを作りました。", "担当者の異動があっても困らないようにしました。",
    "費用対効果を議会でも説明しました。", "セキュリティの基準を確認しました。",
    "個人情報の取扱いに気をつけました。", "ユーザー目線で画面を見直しました。",
    "来年度の予算要求につなげます。", "問い合わせへのレスポンスが早くなりました。",
    "ワークショップ形式で意見を出し合いました。", "ボットの誤答も記録しました。",
)
TOPICS = ("goal-setting", "flow-mapping", "tool-selection", "testimonials")
TOPIC_NAMES = {"goal-setting": "目標設定", "flow-mapping": "業務フローの可視化",
               "tool-selection": "ツール選定", "testimonials": "職員の声"}
SOURCES = {"long-90": 90.0, "long-150": 150.0, "long-240": 240.0}
CHAPTERS = {"long-90": (0, 30, 60), "long-150": (0, 50, 100), "long-240": (0, 60, 120, 180)}

LARGE_QUERIES: tuple[Query, ...] = (
    Query("キャッシュレス", "katakana"), Query("チャットボット", "katakana"),
    Query("ペーパーレス", "katakana"), Query("テレワーク", "katakana"),
    Query("ワークフロー", "katakana"), Query("ダッシュボード", "katakana"),
    Query("グループウェア", "katakana"), Query("スマートフォン", "katakana"),
    Query("ローコード", "katakana"), Query("クラウドサービス", "katakana"),
    Query("マイナンバーカード", "katakana"), Query("ソフトウェアロボット", "katakana"),
    Query("ヘルプデスク", "katakana"), Query("アウトソーシング", "katakana"),
    Query("キャッシュレス決済", "katakana+kanji"), Query("電子申請システム", "katakana+kanji"),
    Query("ペーパーレス会議", "katakana+kanji"), Query("データ連携", "katakana+kanji"),
    Query("タブレット端末", "katakana+kanji"), Query("QRコード決済", "katakana+kanji"),
    Query("要介護認定", "kanji compound"), Query("出張旅費精算", "kanji compound"),
    Query("電子決裁", "kanji compound"), Query("固定資産税", "kanji compound"),
    Query("道路占用", "kanji compound"),
    Query("入園申し込み", "okurigana", variants=("入園申込み", "入園申込")),
    Query("問合せ", "okurigana", variants=("問い合わせ", "問合わせ")),
    Query("ファイルサーバー", "long vowel", variants=("ファイルサーバ",)),
    Query("ｷｬｯｼｭﾚｽ", "half-width"), Query("ﾁｬｯﾄﾎﾞｯﾄ", "half-width"),
    Query("ＲＰＡ", "full-width"), Query("ＡＩ－ＯＣＲ", "full-width"),
    Query("RPA", "acronym"), Query("LGWAN", "acronym"), Query("AI-OCR", "acronym"),
    Query("児童館の利用登録", "caption-only"), Query("放置自転車の撤去", "caption-only"),
    Query("敬老祝い金の支給", "caption-only"), Query("戸籍謄本の郵送請求", "caption-only"),
    Query("カーブミラーの修繕依頼", "caption-only"), Query("給食費の口座振替", "caption-only"),
    Query("シェアサイクルの実証実験", "caption-only"),
    Query("ハザードマップの配布", "caption-only"),
    Query("BPR", "acronym"),
)
"""Plus three multi-word queries (a clip's tool and service) taken from the generated clips."""


def multi_word_queries(clips: Sequence[GeneratedClip]) -> list[Query]:
    """"<tool> <service>" for three clips spread over the portal (the generator is seeded, so
    these are the same on every run)."""
    picks = [clips[i * len(clips) // 3 + 1] for i in range(3)]
    return [Query(f"{c.tags[0]} {c.tags[1]}", "multi-word") for c in picks]


@dataclass
class GeneratedClip:
    slug: str
    topic: str
    title: str
    description: str
    tags: list[str]
    speakers: list[str]
    chapters: list[tuple[float, str]]
    source: str
    cues: list[tuple[float, float, str]] = field(default_factory=list)

    def indexed_text(self) -> str:
        parts = [self.title, self.description, *self.tags, *self.speakers,
                 *(t for _, t in self.chapters), TOPIC_NAMES[self.topic],
                 *(c for _, _, c in self.cues)]
        return "\n".join(parts)


def _title(rng: random.Random, topic: str, service: str, tool: str, dept: str,
           effect: str) -> str:
    patterns = {
        "goal-setting": ("{s}の目標を決める", "{s}：現状と理想の姿", "数値目標の立て方（{s}）"),
        "flow-mapping": ("{s}の業務フローを書き出す", "{s}の所要時間を測る",
                         "{s}の手順を見える化する"),
        "tool-selection": ("{t}を選ぶポイント", "{t}で{s}を効率化", "{t}の導入手順"),
        "testimonials": ("{d}の声：{t}で{e}", "「{e}」（{d}）"),
    }
    return rng.choice(patterns[topic]).format(s=service, t=tool, d=dept, e=effect.rstrip("。"))


def _sentences(rng: random.Random, service: str, tool: str, dept: str, effect: str,
               case: str) -> list[str]:
    specific = [
        f"今回は{service}を取り上げます。", f"{dept}では{service}に多くの時間を使っていました。",
        f"{tool}を使うことにしました。", f"{tool}の導入には三か月かかりました。",
        f"その結果、{effect}。", f"{service}の手順を{tool}に合わせて見直しました。",
    ]
    if case:
        specific.append(f"例えば{case}でも同じ考え方が使えます。")
    return specific + rng.sample(GENERIC, k=rng.randrange(10, 20))


def generate_clips(count: int, seed: int = 5) -> list[GeneratedClip]:
    rng = random.Random(seed)
    clips = []
    for i in range(count):
        service, dept = rng.choice(SERVICES)
        tool = rng.choice(TOOLS)
        effect = rng.choice(EFFECTS).format(n=rng.choice((10, 15, 20, 25, 30, 35, 40)))
        # a third of the clips mention one rare case in their narration alone (2-3 clips each)
        case = RARE_CASES[(i // 3) % len(RARE_CASES)] if i % 3 == 0 else ""
        topic = TOPICS[i % len(TOPICS)]
        source = rng.choice(tuple(SOURCES))
        clip = GeneratedClip(
            slug=f"clip-{i:03d}", topic=topic,
            title=_title(rng, topic, service, tool, dept, effect),
            description=f"{dept}の{service}について、{tool}を使った改善の進め方を紹介します。",
            tags=[tool, service.split("の")[0], TOPIC_NAMES[topic], *(["BPR"] * (i % 5 == 0))],
            speakers=[f"{dept} 職員"],
            chapters=[(t, title) for t, title in zip(
                CHAPTERS[source], ("はじめに", "現状", "取り組み", "これから"), strict=False)],
            source=source)
        clip.cues = _cues(_sentences(rng, service, tool, dept, effect, case), SOURCES[source],
                          rng)
        clips.append(clip)
    return clips


def _cues(sentences: list[str], duration: float, rng: random.Random
          ) -> list[tuple[float, float, str]]:
    """One sentence per cue, 3.5 s each, specific sentences spread over the clip."""
    slots = int((duration - 1) // 3.5)
    ordered = list(sentences)
    rng.shuffle(ordered)
    chosen = (ordered * (slots // len(ordered) + 1))[:slots]
    for must in sentences[:7]:  # every specific sentence appears at least once
        if must not in chosen:
            chosen[rng.randrange(len(chosen))] = must
    return [(0.5 + k * 3.5, 0.5 + k * 3.5 + 3.2, text) for k, text in enumerate(chosen)]


def _srt_time(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_portal(root: Path, clips: Sequence[GeneratedClip]) -> None:
    """A portal project: synthetic sources (three short encodes, then cache hits), clip files
    and SRT captions."""
    import yaml

    (root / "videos").mkdir(parents=True, exist_ok=True)
    (root / "captions").mkdir(exist_ok=True)
    (root / "docs").mkdir(exist_ok=True)
    (root / "sources").mkdir(exist_ok=True)
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    # narration is dense here; reading-speed warnings would bury the figures
    config = config.replace("  - clipportal:\n", "  - clipportal:\n      max_cps: 20\n", 1)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")
    (root / "docs" / "index.md").write_text("# 生成ポータル\n\n<!-- clipportal:home -->\n",
                                            encoding="utf-8")
    for name, seconds in SOURCES.items():
        _make_source(root / "sources" / f"{name}.mp4", seconds)
    for clip in clips:
        data = {"title": clip.title, "topic": clip.topic, "description": clip.description,
                "speakers": clip.speakers, "tags": clip.tags,
                "chapters": [{"start": f"{int(t) // 60}:{int(t) % 60:02d}", "title": title}
                             for t, title in clip.chapters],
                "video": f"sources/{clip.source}.mp4"}
        (root / "videos" / f"{clip.slug}.yml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        srt = "".join(f"{n}\n{_srt_time(a)} --> {_srt_time(b)}\n{text}\n\n"
                      for n, (a, b, text) in enumerate(clip.cues, 1))
        (root / "captions" / f"{clip.slug}.ja.srt").write_text(srt, encoding="utf-8")


def _make_source(path: Path, seconds: float) -> None:
    if path.exists():
        return
    from clipportal.media.ffmpeg_runner import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=15:d={seconds:g}",
                    "-f", "lavfi", "-i", f"sine=f=440:d={seconds:g}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", "-shortest", str(path)], check=True)


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def relevant(query: Query, corpus: dict[str, str]) -> frozenset[str]:
    """Clips whose text holds every part of the query (in any listed spelling)."""
    if query.expected:
        return query.expected
    parts = nfkc(query.text).split()
    spellings = [nfkc(v) for v in query.variants]

    def holds(text: str) -> bool:
        if spellings and any(s in text for s in spellings):
            return True
        return all(p in text for p in parts)

    return frozenset(slug for slug, text in corpus.items() if holds(nfkc(text)))


# ---------------------------------------------------------------------------------------------
# Building and running.

def build(root: Path, terms: bool, log: Path) -> Path:
    """Build the portal in this process (output to `log`); without `terms` the clip pages
    carry no extra index words."""
    import clipportal.site.pages as pages
    from clipportal.cli import main

    marker = root / "build" / "site" / ".clipportal-build"
    marker.unlink(missing_ok=True)  # the up-to-date check cannot see the patch below
    original = pages.search_terms
    if not terms:
        pages.search_terms = lambda texts: ""
    try:
        with log.open("a", encoding="utf-8") as out, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out):
            code = main(["build", str(root)])
    finally:
        pages.search_terms = original
    if code != 0:
        raise SystemExit(f"build of {root} failed ({code}); see {log}")
    return root / "build" / "site"


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def run_queries(browser: Any, base: str, queries: Sequence[Query], normalise: bool
                ) -> list[list[str]]:
    """The hit slugs of each query, in order (all pages of hits)."""
    context = browser.new_context(**PHONE)
    if not normalise:
        context.add_init_script(RAW_QUERY)
    page = context.new_page()
    hits = [_hits(page, base, query.text) for query in queries]
    context.close()
    return hits


def bundle_bytes(browser: Any, base: str, queries: Sequence[Query]) -> tuple[int, float]:
    """Bytes of the search bundle (gzip on the wire) a phone downloads for its first query
    (search/?q=…) and on average for each of the next five typed on the same page."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    requests: list[Any] = []
    context.on("requestfinished", lambda r: requests.append(r))  # page and search worker
    page.goto(f"{base}search/?q={urllib.parse.quote(queries[0].text)}")
    page.wait_for_selector("[data-cp-search][data-state=done]", timeout=20000)
    page.wait_for_timeout(300)
    first = _bundle_size(requests)
    later = queries[1:6]
    for query in later:
        page.evaluate("""(q) => { const i = document.querySelector('#cp-q'); i.value = q;
            document.querySelector('[data-cp-search]').removeAttribute('data-state');
            i.form.requestSubmit(); }""", query.text)
        page.wait_for_selector("[data-cp-search][data-state=done]", timeout=20000)
    page.wait_for_timeout(300)
    total = _bundle_size(requests)
    context.close()
    return first, (total - first) / max(1, len(later))


def _bundle_size(requests: Sequence[Any]) -> int:
    """Bytes on the wire for /pagefind/ files (a worker script reports no size: gzip it, as
    the server does)."""
    size = 0
    for request in requests:
        if "/pagefind/" not in request.url:
            continue
        reported = int(request.sizes()["responseBodySize"])
        if not reported:
            response = request.response()
            body = response.body() if response else b""
            reported = len(gzip.compress(body)) if request.url.endswith(".js") else len(body)
        size += reported
    return size


def _hits(page: Any, base: str, text: str) -> list[str]:
    """Open `search/?q=…` (the ★ contract) and read every hit, pressing さらに表示 as needed."""
    page.goto(f"{base}search/?q={urllib.parse.quote(text)}")
    page.wait_for_selector("[data-cp-search][data-state=done]", timeout=20000)
    for _ in range(30):  # "さらに表示" until every hit is listed
        more = page.locator("[data-cp-more]")
        if not more.is_visible():
            break
        count = page.locator("[data-search-results] > li").count()
        more.click()
        page.wait_for_function(
            f"document.querySelectorAll('[data-search-results] > li').length > {count}")
    hrefs = page.eval_on_selector_all("[data-search-results] > li > a",
                                      "els => els.map(e => e.getAttribute('href'))")
    return [h.split("clips/")[1].split("/")[0] for h in hrefs if "clips/" in h]


@dataclass
class Scores:
    rows: list[dict[str, Any]]

    def summary(self) -> dict[str, float]:
        n = len(self.rows)
        with_hits = [r for r in self.rows if r["hits"]]
        return {
            "queries": n,
            "recall@3": sum(r["recall3"] for r in self.rows) / n,
            "pass@3": sum(r["recall3"] == 1.0 for r in self.rows) / n,
            "top-1": sum(r["top1"] for r in self.rows) / n,
            "recall": sum(r["recall"] for r in self.rows) / n,
            "precision": (sum(r["precision"] for r in with_hits) / len(with_hits)
                          if with_hits else 0.0),
            "extra": sum(r["extra"] for r in self.rows),
        }


def score(queries: Sequence[Query], hits: Sequence[list[str]],
          corpus: dict[str, str]) -> Scores:
    rows = []
    for query, found in zip(queries, hits, strict=True):
        rel = relevant(query, corpus)
        top3 = found[:3]
        want3 = min(3, len(rel)) or 1
        good = [s for s in found if s in rel]
        rows.append({
            "query": query.text, "kind": query.kind, "relevant": len(rel), "hits": len(found),
            "recall3": len([s for s in top3 if s in rel]) / want3,
            "top1": bool(found) and found[0] in rel,
            "recall": len(set(good)) / len(rel) if rel else 1.0,
            "precision": len(good) / len(found) if found else 0.0,
            "extra": len(found) - len(good), "top": found[:3],
        })
    return Scores(rows)


def measure_portal(name: str, root: Path, queries: Sequence[Query], corpus: dict[str, str],
                   variants: Sequence[str], verbose: bool) -> dict[str, Any]:
    from rangeserver import serve

    results: dict[str, Any] = {}
    for variant in variants:
        started = time.monotonic()
        site = build(root, variant == "after", root.parent / f"{root.name}-build.log")
        built = time.monotonic() - started
        with serve(site, use_gzip=True) as base, chromium() as browser:
            hits = run_queries(browser, base, queries, normalise=variant == "after")
            first, later = bundle_bytes(browser, base, queries)
        scores = score(queries, hits, corpus)
        summary = scores.summary()
        summary["index_kb"] = _dir_kb(site / "pagefind")
        summary["first_query_kb"] = first / 1000
        summary["later_query_kb"] = later / 1000
        summary["build_s"] = built
        results[variant] = {"summary": summary, "rows": scores.rows}
        _print_summary(name, variant, summary)
        for row in scores.rows:
            if verbose or row["recall3"] < 1.0 or not row["top1"]:
                print(f"    {'ok ' if row['recall3'] == 1.0 else 'MISS'} {row['query']} "
                      f"[{row['kind']}] relevant={row['relevant']} hits={row['hits']} "
                      f"top={row['top']} precision={row['precision']:.2f}")
    return results


def _dir_kb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1000


def _print_summary(name: str, variant: str, s: dict[str, float]) -> None:
    print(f"{name:>9} {variant:<6} queries={s['queries']:.0f} recall@3={s['recall@3']:.3f} "
          f"pass@3={s['pass@3']:.1%} top-1={s['top-1']:.1%} recall={s['recall']:.3f} "
          f"precision={s['precision']:.3f} extra={s['extra']:.0f} "
          f"index={s['index_kb']:.0f}KB first-query={s['first_query_kb']:.0f}KB "
          f"later-query={s['later_query_kb']:.0f}KB", flush=True)


def demo_project(target: Path) -> Path:
    for name in ("videos", "captions", "docs"):
        shutil.copytree(REPO / name, target / name,
                        ignore=shutil.ignore_patterns("*.part.*"))
    shutil.copy2(REPO / "mkdocs.yml", target / "mkdocs.yml")
    cache = REPO / "build" / "cache"
    if cache.is_dir():
        shutil.copytree(cache, target / "build" / "cache",
                        ignore=shutil.ignore_patterns(".lock", "*.tmp"))
    return target


def demo_corpus(root: Path) -> dict[str, str]:
    """The demo's indexed text, for checking the hand-written expectations."""
    texts = {}
    for meta in sorted((root / "videos").glob("*.yml")):
        captions = "".join(p.read_text(encoding="utf-8")
                           for p in (root / "captions").glob(f"{meta.stem}.ja.*"))
        texts[meta.stem] = meta.read_text(encoding="utf-8") + captions
    return texts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portal", choices=("demo", "large", "both"), default="both")
    parser.add_argument("--only", choices=("before", "after"))
    parser.add_argument("--clips", type=int, default=200)
    parser.add_argument("--workdir", type=Path,
                        help="keep projects here (reuses the generated sources and cache)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--verbose", "-v", action="store_true", help="print every query")
    args = parser.parse_args(argv)
    variants = [args.only] if args.only else ["before", "after"]
    results: dict[str, Any] = {}
    with _workdir(args.workdir) as work:
        if args.portal in ("demo", "both"):
            root = work / "demo"
            if not root.exists():
                demo_project(root)
            results["demo"] = measure_portal("demo", root, DEMO_QUERIES, demo_corpus(root),
                                             variants, args.verbose)
        if args.portal in ("large", "both"):
            root = work / f"generated-{args.clips}"
            clips = generate_clips(args.clips)
            write_portal(root, clips)
            corpus = {c.slug: c.indexed_text() for c in clips}
            queries = [*LARGE_QUERIES, *multi_word_queries(clips)]
            results["large"] = measure_portal(f"{args.clips} clips", root, queries, corpus,
                                              variants, args.verbose)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


@contextlib.contextmanager
def _workdir(given: Path | None) -> Iterator[Path]:
    if given is not None:
        given.mkdir(parents=True, exist_ok=True)
        yield given.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="clipportal-search-") as tmp:
        yield Path(tmp)


if __name__ == "__main__":
    raise SystemExit(main())
