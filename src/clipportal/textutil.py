"""Small formatting helpers shared by pages and search: durations, dates, safe Markdown."""

from __future__ import annotations

import datetime as dt

import markdown
import nh3

SAFE_TAGS = {
    "p", "br", "strong", "em", "b", "i", "u", "code", "pre", "ul", "ol", "li", "blockquote",
    "a", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "del",
}
SAFE_SCHEMES = {"http", "https", "mailto"}


def format_duration(seconds: float) -> str:
    """`75.2` → `1:15`; `3725` → `1:02:05` (what a viewer reads on a card)."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """`75.2` → `PT1M15S` for `<time datetime>`."""
    total = max(0, round(seconds))
    minutes, secs = divmod(total, 60)
    return f"PT{minutes}M{secs}S"


def format_date_ja(date: dt.date) -> str:
    """`2022-03-15` → `2022年3月15日`."""
    return f"{date.year}年{date.month}月{date.day}日"


def markdown_to_safe_html(text: str) -> str:
    """Render an editor's Markdown, then sanitise: raw HTML, scripts, event handlers and
    `javascript:` links cannot survive, whatever the input."""
    html = markdown.markdown(text, extensions=["sane_lists"], output_format="html")
    return nh3.clean(html, tags=SAFE_TAGS, attributes={"a": {"href", "title"}},
                     url_schemes=SAFE_SCHEMES, link_rel="noopener noreferrer nofollow")
