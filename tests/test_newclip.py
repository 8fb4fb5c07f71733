"""`clipportal new`: the slug it chooses, the files it writes and what it tells the editor."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import run_cli
from hypothesis import given
from hypothesis import strategies as st
from test_cli import portal, tiny_clip

from clipportal.commands.new import choose_slug, slug_from_file_name, slug_from_title
from clipportal.paths import is_valid_slug

BARE_DIGITS = re.compile(r"[0-9-]+")


def test_a_japanese_file_name_gives_topic_and_title_not_its_digits() -> None:
    assert slug_from_file_name("研修動画 第3回") == ""
    assert slug_from_title("flow-mapping", "研修動画 第3回") == "flow-mapping-3"
    assert slug_from_title("tool-selection", "ＲＰＡの導入効果") == "tool-selection-rpa"


def test_an_ascii_file_name_is_kept_unless_it_is_only_digits() -> None:
    assert slug_from_file_name("Flow Mapping_01") == "flow-mapping-01"
    assert slug_from_file_name("0001") == ""
    assert slug_from_file_name("2024-04-01") == ""


def test_a_title_without_ascii_gives_a_short_stable_hash() -> None:
    slug = slug_from_title("testimonials", "職員の声")
    assert re.fullmatch(r"testimonials-[0-9a-f]{6}", slug)
    assert slug_from_title("testimonials", "職員の声") == slug
    assert slug_from_title("testimonials", "窓口の声") != slug


# File names as Python sees them on Linux: any character but '/' and NUL, with undecodable
# bytes as the surrogates U+DC80–U+DCFF (surrogateescape); other lone surrogates never occur.
_NAME_CHARS = st.one_of(
    st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF))


@given(stem=st.text(_NAME_CHARS, max_size=120),
       title=st.text(min_size=1, max_size=200),
       topic=st.sampled_from(["flow-mapping", "testimonials", "業務", "x"]))
def test_a_chosen_slug_is_always_valid_and_never_bare_digits(stem: str, title: str,
                                                             topic: str) -> None:
    slug, generated = choose_slug(Path("/nonexistent"), Path(f"{stem}.mp4"), topic, title, None)
    assert generated and is_valid_slug(slug), (stem, title, slug)
    assert not BARE_DIGITS.fullmatch(slug), (stem, title, slug)


def test_a_name_in_use_gets_a_suffix(tmp_path: Path) -> None:
    for name in ("videos/flow-mapping-3.yml", "videos/flow-mapping-3-2.mov",
                 "captions/flow-mapping-3-3.ja.srt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x", encoding="utf-8")
    slug, _ = choose_slug(tmp_path, Path("研修動画 第3回.mp4"), "flow-mapping", "第3回", None)
    assert slug == "flow-mapping-3-4"


def test_new_on_a_japanese_file_name_says_what_it_wrote_and_what_to_do(tmp_path: Path) -> None:
    root = portal(tmp_path / "portal", {})
    source = tiny_clip(tmp_path / "研修動画 第3回.mp4", seconds=3)
    made = run_cli("new", str(source), "--topic", "flow-mapping", "--title", "業務フロー 第3回",
                   cwd=root)
    assert made.returncode == 0, made.stderr
    clip_file = root / "videos" / "flow-mapping-3.yml"
    video = root / "videos" / "flow-mapping-3.mp4"
    assert clip_file.is_file() and video.read_bytes() == source.read_bytes()
    out = made.stdout
    assert "videos/flow-mapping-3.yml" in out and "videos/flow-mapping-3.mp4" in out
    assert f"({video.stat().st_size / 1e3:.0f} kB)" in out
    assert "flow-mapping-3" in out and "--slug" in out and "clipportal check" in out
    assert "captions/flow-mapping-3.ja.srt" in out

    again = run_cli("new", str(source), "--topic", "flow-mapping", "--title", "業務フロー 第3回",
                    cwd=root)
    assert again.returncode == 0, again.stderr
    assert "videos/flow-mapping-3-2.yml" in again.stdout
    assert "第3回" in clip_file.read_text(encoding="utf-8")  # the first clip is untouched


def test_new_with_slug_does_not_explain_the_name(tmp_path: Path) -> None:
    root = portal(tmp_path / "portal", {})
    source = tiny_clip(tmp_path / "研修動画.mp4", seconds=2)
    made = run_cli("new", str(source), "--topic", "flow-mapping", "--title", "研修",
                   "--slug", "flow-mapping-03", "--dir", str(root))
    assert made.returncode == 0, made.stderr
    assert "flow-mapping-03.yml" in made.stdout and "(slug)" not in made.stdout


def test_new_takes_the_topic_by_its_japanese_name_and_names_topics_in_hints(
        tmp_path: Path) -> None:
    root = portal(tmp_path / "portal", {})
    source = tiny_clip(tmp_path / "研修動画.mp4", seconds=2)
    made = run_cli("new", str(source), "--topic", "業務フローの可視化", "--title", "研修",
                   "--slug", "flow-mapping-04", "--dir", str(root))
    assert made.returncode == 0, made.stderr
    written = (root / "videos" / "flow-mapping-04.yml").read_text(encoding="utf-8")
    assert "topic: flow-mapping" in written
    wrong = run_cli("new", str(source), "--topic", "業務フロー", "--title", "研修",
                    "--slug", "flow-mapping-05", "--dir", str(root))
    assert wrong.returncode == 1 and "flow-mapping (業務フローの可視化)" in wrong.stderr


def test_a_file_that_is_not_a_video_leaves_nothing_behind(tmp_path: Path) -> None:
    root = portal(tmp_path / "portal", {})
    broken = tmp_path / "メモ.mp4"
    broken.write_text("not a video", encoding="utf-8")
    result = run_cli("new", str(broken), "--topic", "flow-mapping", "--title", "メモ",
                     "--dir", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "メモ.mp4" in result.stderr
    assert list((root / "videos").iterdir()) == []


def test_new_outside_a_portal_project_creates_nothing(tmp_path: Path) -> None:
    source = tiny_clip(tmp_path / "clip.mp4", seconds=1)
    elsewhere = tmp_path / "not-a-portal"
    elsewhere.mkdir()
    result = run_cli("new", str(source), "--topic", "flow-mapping", "--title", "x", cwd=elsewhere)
    assert result.returncode == 1 and "mkdocs.yml" in result.stderr
    assert list(elsewhere.iterdir()) == []
