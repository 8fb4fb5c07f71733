"""Japanese search on the demo portal, in Chromium at a phone viewport, through the ★ search
page contract: `search/?q=…` runs at once and lists hits as links in [data-search-results].

The queries are a cross-section of scripts/measure_search.py's set (which prints recall,
top-1 and precision on the demo and on a generated 200-clip portal)."""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUERIES = [
    ("業務フロー", {"flow-mapping-steps", "flow-mapping-time"}),
    ("デジタル化", {"goal-realistic-target", "tool-selection-cloud", "tool-selection-rpa"}),
    ("ツール選定", {"tool-selection-cloud", "tool-selection-rpa"}),
    ("職員の声", {"voices-goal-image", "voices-time-reduction"}),
    ("申請手続き", {"flow-mapping-steps", "flow-mapping-time"}),
    ("キャッシュレス", {"voices-time-reduction"}),
    ("所要時間", {"flow-mapping-time", "voices-time-reduction"}),
    ("RPA", {"tool-selection-rpa", "voices-time-reduction"}),
    ("ＢＰＲ", {"goal-setting-basics", "goal-realistic-target", "tool-selection-rpa",
              "voices-goal-image"}),
    ("ﾍﾟｰﾊﾟｰﾚｽ", {"flow-mapping-steps", "tool-selection-cloud"}),
    ("保育園の入園申込み", {"goal-setting-basics"}),  # spoken only
    ("入園の申し込み", {"goal-setting-basics"}),  # spoken only, other okurigana
    ("押印の廃止", {"goal-realistic-target"}),
    ("紙の台帳", {"flow-mapping-steps"}),
    ("住民票の写しの交付申請", {"flow-mapping-time"}),
    ("会議室の予約", {"tool-selection-cloud"}),
    ("システムへの転記作業", {"tool-selection-rpa"}),
    ("毎朝の朝礼", {"voices-goal-image"}),
    ("納税通知書の封入", {"voices-time-reduction"}),
]


def search(page: Any, site_url: str, query: str, extra: str = "") -> list[str]:
    page.goto(f"{site_url}search/?q={urllib.parse.quote(query)}{extra}")
    page.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
    hrefs = page.eval_on_selector_all("[data-search-results] > li > a",
                                      "els => els.map(e => e.getAttribute('href'))")
    return [re.sub(r"^\.\./clips/([^/]+)/.*$", r"\1", h) for h in hrefs]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
def test_query_finds_expected_clips_on_top(phone: Any, site_url: str, query: str,
                                           expected: set[str]) -> None:
    found = search(phone, site_url, query)
    top = found[:max(3, len(expected))]
    assert expected <= set(top), (query, found)
    assert found[0] in expected
    assert phone.locator("#cp-q").input_value() == query, "the box shows the query"
    assert phone.offsite_requests == []


def test_spoken_phrase_links_to_its_moment_and_the_clip_opens_there(phone: Any,
                                                                     site_url: str) -> None:
    search(phone, site_url, "住民票の写しの交付申請")
    moment = phone.locator("[data-search-results] .cp-hit-moments a").first
    href = moment.get_attribute("href") or ""
    match = re.fullmatch(r"\.\./clips/flow-mapping-time/#t-(\d+)", href)
    assert match, href
    assert "住民" in moment.inner_text()
    moment.click()
    phone.wait_for_function(f"""() => {{ const v = document.querySelector('video[data-clip]');
        return v && v.readyState >= 1 && Math.abs(v.currentTime - {match[1]}) < 0.6; }}""",
                            timeout=10000)
    assert phone.locator("details.cp-transcript").evaluate("d => d.open")
    assert phone.locator(f"#t-{match[1]} a[aria-current]").count() == 1


def test_topic_filter_keeps_one_topic(phone: Any, site_url: str) -> None:
    everywhere = search(phone, site_url, "デジタル化")
    assert "goal-realistic-target" in everywhere
    only = search(phone, site_url, "デジタル化", "&topic=tool-selection")
    assert set(only) == {"tool-selection-cloud", "tool-selection-rpa"}
    assert phone.locator("#cp-topic").input_value() == "tool-selection"


def test_hits_are_relative_links_with_title_poster_and_excerpt(phone: Any,
                                                                site_url: str) -> None:
    search(phone, site_url, "キャッシュレス")
    hit = phone.locator("[data-search-results] > li").first
    link = hit.locator("a.cp-hit-link")
    assert link.get_attribute("href") == "../clips/voices-time-reduction/"
    assert "作業時間を35%削減できた" in link.inner_text()
    poster = hit.locator("img").get_attribute("src") or ""
    assert poster.startswith("../media/voices-time-reduction/")
    assert hit.locator("mark").count() >= 1
    assert "1 件" in phone.locator("[data-cp-status]").inner_text()


def test_no_hits_says_so(phone: Any, site_url: str) -> None:
    assert search(phone, site_url, "ぷりんアラモード") == []
    assert "見つかりませんでした" in phone.locator("[data-cp-status]").inner_text()


def test_typing_searches_and_keeps_the_url(phone: Any, site_url: str) -> None:
    phone.goto(site_url + "search/")
    phone.locator("#cp-q").fill("紙の台帳")
    phone.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
    assert "q=%E7%B4%99" in phone.url
    assert phone.locator("[data-search-results] > li").count() >= 1


def test_header_search_leads_to_the_search_page(phone: Any, browser: Any,
                                                site_url: str) -> None:
    phone.goto(site_url + "clips/goal-setting-basics/")
    phone.locator("a.cp-header-search-link").click()
    phone.wait_for_url("**/search/")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page = context.new_page()
    page.goto(site_url + "topics/goal-setting/")
    page.locator("#cp-header-q").fill("押印の廃止")
    page.locator("#cp-header-q").press("Enter")
    page.wait_for_selector("[data-cp-search][data-state=done]", timeout=15000)
    assert "goal-realistic-target" in (page.locator("[data-search-results] a").first
                                       .get_attribute("href") or "")
    context.close()
