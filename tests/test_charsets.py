"""Caption text decoding (captions/charsets.py): the evidence decides (byte-order mark, NUL
bytes, ISO-2022-JP escapes, then strict decodings scored for the track's language), and when
it is not clear the file is refused rather than shown garbled."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_captions import as_srt, read, write

from clipportal.captions.charsets import UnknownEncodingError, decode_text
from clipportal.errors import CaptionError

TEXT = "業務フローを書き出します。所要時間を測ります。"
SRT = "1\n00:00:01,000 --> 00:00:02,000\n" + TEXT + "\n"


@pytest.mark.parametrize("encoding", ["utf-8", "cp932", "euc_jp", "iso2022_jp"])
def test_japanese_text_is_decoded_with_the_codec_it_was_written_in(encoding: str) -> None:
    decoded = decode_text(TEXT.encode(encoding))
    assert (decoded.text, decoded.encoding) == (TEXT, encoding)


@pytest.mark.parametrize(("prefix", "codec", "encoding"), [
    (b"\xef\xbb\xbf", "utf-8", "utf-8"),
    (b"\xff\xfe", "utf-16-le", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be", "utf-16-be"),
    (b"", "utf-16-le", "utf-16-le"),  # without a BOM: where the NULs of the ASCII timings are
    (b"", "utf-16-be", "utf-16-be"),
])
def test_byte_order_marks_and_utf16_without_one(prefix: bytes, codec: str,
                                                encoding: str) -> None:
    decoded = decode_text(prefix + SRT.encode(codec))
    assert (decoded.text, decoded.encoding) == (SRT, encoding)


def test_english_track_in_cp1252() -> None:
    assert decode_text("We don’t know".encode("cp1252"), "en").encoding == "cp1252"


@pytest.mark.parametrize(("data", "why"), [
    (b"\xef\xbb\xbf" + TEXT.encode("cp932"), "looks like utf-8 but byte 0 is not valid"),
    (bytes(range(256)) * 4, "NUL bytes"),
])
def test_what_cannot_be_decoded_with_confidence_is_refused_saying_why(data: bytes,
                                                                      why: str) -> None:
    with pytest.raises(UnknownEncodingError, match=why):
        decode_text(data)


# ------------------------------------------- through the caption reader, as editors' files


def test_shift_jis_wave_dash_reads_as_windows_does(tmp_path: Path) -> None:
    # Shift_JIS 0x8160 is U+301C in the standard and U+FF5E in CP932 (Windows). Files come
    # from Windows, and both look alike, so the CP932 reading is the one shown.
    path = write(tmp_path / "a.ja.srt", as_srt([(0, 1, "９時〜５時")]), "shift_jis")
    assert read(path)[0].cues[0].text == "９時～５時"


def test_short_euc_jp_file_is_not_mistaken_for_cp932_or_utf8(tmp_path: Path) -> None:
    # 続 is C2 B3 in EUC-JP, which is also valid UTF-8 ("³"); 多達側 likewise.
    for word in ("業", "はい", "社長", "続", "多達側"):
        path = write(tmp_path / "a.ja.srt", as_srt([(0, 1, word)]), "euc_jp")
        assert read(path)[0].cues[0].text == word


def test_kanji_only_euc_jp_is_refused_not_guessed(tmp_path: Path) -> None:
    # EUC-JP "料料料…" has the same bytes as CP932 half-width "ﾎﾁﾎﾁﾎﾁ…": refuse, don't guess.
    path = write(tmp_path / "a.ja.srt", as_srt([(0, 1, "料" * 8)]), "euc_jp")
    with pytest.raises(CaptionError, match=r"euc_jp or cp932|cp932 or euc_jp"):
        read(path)


@pytest.mark.parametrize(
    ("text", "lang", "encoding"),
    [
        ("♪ music ♪", "en", "utf-8"),
        ("OK👍", "ja", "utf-8"),
        ("♪ ※ → ★", "ja", "utf-8"),
        ("♪ ※ → ★", "ja", "cp932"),
        ("♪ ※ → ★", "ja", "euc_jp"),
    ],
)
def test_symbol_only_captions_are_decoded(
    tmp_path: Path, text: str, lang: str, encoding: str
) -> None:
    path = write(tmp_path / f"a.{lang}.srt", as_srt([(0, 1, text)]), encoding)
    assert read(path, lang)[0].cues[0].text == text


def test_english_cp1252_curly_quotes(tmp_path: Path) -> None:
    path = write(tmp_path / "a.en.srt", as_srt([(0, 1, "We don’t know — yet…")]), "cp1252")
    assert read(path, "en")[0].cues[0].text == "We don’t know — yet…"


def test_japanese_in_an_english_track_saved_as_cp932(tmp_path: Path) -> None:
    path = write(tmp_path / "a.en.srt", as_srt([(0, 1, "Gyomu (業務フロー)")]), "cp932")
    assert read(path, "en")[0].cues[0].text == "Gyomu (業務フロー)"


def test_korean_and_chinese_legacy_encodings_fall_back_to_charset_normalizer(
    tmp_path: Path,
) -> None:
    ko = "안녕하세요 여러분, 반갑습니다"
    zh = "我们来整理一下业务流程和所需时间"
    ko_track, _ = read(write(tmp_path / "k.ko.srt", as_srt([(0, 1, ko)]), "cp949"), "ko")
    zh_track, _ = read(write(tmp_path / "z.zh.srt", as_srt([(0, 1, zh)]), "gb18030"), "zh")
    assert (ko_track.cues[0].text, zh_track.cues[0].text) == (ko, zh)
