"""Caption files in Japanese office encodings end up as correct Japanese on the clip page and
in its WebVTT track; an undecodable one stops the build with its name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from test_captions import strict_errors
from test_cli import portal
from test_pipeline import SIMPLE

pytestmark = pytest.mark.slow
LINES = ["業務フローを書き出します", "所要時間も測りましょう～①"]
SRT = "".join(f"{i}\r\n00:00:0{i - 1},100 --> 00:00:0{i - 1},900\r\n{t}\r\n\r\n"
              for i, t in enumerate(LINES, start=1))


@pytest.mark.parametrize("encoding", ["cp932", "utf-16", "euc_jp", "utf-8-sig"])
def test_office_encodings_show_the_exact_japanese(tmp_path: Path, encoding: str) -> None:
    root = portal(tmp_path, {"clip": SIMPLE})
    text = SRT if encoding != "euc_jp" else SRT.replace("～①", "")
    (root / "captions" / "clip.ja.srt").write_bytes(text.encode(encoding))
    result = run_cli("build", str(root))
    assert result.returncode == 0, result.stderr
    page = (root / "build" / "site" / "clips" / "clip" / "index.html").read_text("utf-8")
    tracks = list((root / "build" / "site" / "media" / "clip").glob("ja.*.vtt"))
    vtt = tracks[0].read_text(encoding="utf-8")
    for line in text.replace("\r", "").split("\n"):
        if line and not line[0].isdigit():
            assert line in page and line in vtt
    assert strict_errors(tracks)[str(tracks[0])]["errors"] == []


def test_an_undecodable_caption_file_stops_the_build_naming_it(tmp_path: Path) -> None:
    root = portal(tmp_path, {"clip": SIMPLE})
    (root / "captions" / "clip.ja.srt").write_bytes(
        b"1\n00:00:00,100 --> 00:00:00,900\n" + "日本語".encode("cp932")
        + "と".encode("euc_jp") + "テキスト".encode() + bytes(range(0x80, 0xA0)))
    result = run_cli("build", str(root))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "captions/clip.ja.srt" in result.stderr
    assert not (root / "build" / "site" / "clips").exists()
