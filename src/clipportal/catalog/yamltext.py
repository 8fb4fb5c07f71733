"""Parsing clip files as editors write them, and explaining YAML mistakes in plain words.

PyYAML's own words ("could not find expected ':'", "mapping values are not allowed here")
name the parser's state, often on the line after the mistake. The usual mistakes of people
typing YAML with a Japanese input method are few and recognisable on their own line: a
full-width colon, no space after the colon, a tab, a title holding ': ' without quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from clipportal.catalog.fields import ALLOWED_KEYS, KEY_ALIASES, folded

_LOADER_BASE: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"
_TEXT_KEYS = ("title", "topic", "description", "date", "poster", "video")
_FULL_WIDTH_COLON = re.compile(r"^[ ]*(?:-[ ]+)?([^\s:：#\-\[{'\"][^:：]{0,30}?)[ \u3000]*：")
_NO_SPACE = re.compile(r"^([A-Za-z_]+):(?=[^\s])")
_TEXT_LINE = re.compile(rf"^({'|'.join(_TEXT_KEYS)})[ \t]*:[ \t]+(.*?)\s*$")
_INDENTED_KEY = re.compile(rf"^[ \u3000]+({'|'.join(ALLOWED_KEYS)})[ \t]*:(\s|$)")
_SPECIAL_START = "[]{}@`%&*!|>"
QUOTE_HINT = 'put the whole value in double quotes, e.g. title: "業務改善: 35%削減"'


class TextLoader(_LOADER_BASE):  # type: ignore[misc]
    """A safe loader (libyaml's C one when present) that keeps every plain value as the text
    the editor wrote: YAML 1.1 would turn `1.10` into 1.1, `012` into 10, `yes` into True,
    `1:05` into 65 and `2022-02-30` into a crash. Only an empty value (or `~`, `null`)
    means "nothing". Explicit tags such as `!!int` still go through their constructors."""


TextLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag == _NULL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_WIDE_SPACE_AT_END = re.compile(r"[ \t]*\u3000[ \t\u3000]*$", re.MULTILINE)


def load_yaml(text: str) -> tuple[yaml.Node | None, Any]:
    """The document's node tree (for lines) and its value, parsed once. Full-width spaces at
    the ends of lines are invisible in an editor; YAML would take one after `[a, b]` for the
    start of more text and refuse the file, so they are dropped first."""
    loader = TextLoader(_WIDE_SPACE_AT_END.sub("", text))
    try:
        node = loader.get_single_node()
        return node, loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()


def yaml_lines(text: str) -> list[str]:
    """The lines as YAML counts them (str.splitlines also breaks at form feeds and other
    characters YAML keeps inside a line)."""
    return re.split("\r\n|[\r\n\x85\u2028\u2029]", text)


@dataclass(frozen=True)
class Explained:
    line: int
    message: str
    hint: str


def explain_error(text: str, exc: yaml.YAMLError) -> Explained:
    """Where the mistake behind a YAML error is, and how to fix it."""
    if isinstance(exc, yaml.reader.ReaderError):
        return _bad_character(text, exc.character)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return Explained(1, "the file is not valid YAML", "start again from the example file")
    if isinstance(exc, yaml.constructor.ConstructorError):
        return Explained(_line(exc), "YAML tags such as !!python are not allowed",
                         "delete the part that starts with !!")
    return explain_line(text, _line(exc)) or _fallback(exc)


def _bad_character(text: str, character: object) -> Explained:
    """(The C reader counts the position in bytes, so the line comes from the character.)"""
    if not isinstance(character, int):
        return Explained(1, "the file contains a character that is not allowed in text",
                         "save the file again as UTF-8 text")
    line = text[: max(0, text.find(chr(character)))].count("\n") + 1
    return Explained(line, f"the file contains a character that is not allowed in text "
                     f"(U+{character:04X})", "delete it, or save the file again as UTF-8 text")


def _line(exc: yaml.MarkedYAMLError) -> int:
    """The line PyYAML blames; for an unfinished key it is the key's line, not the next."""
    context = exc.context or ""
    mark = exc.context_mark if "simple key" in context else exc.problem_mark
    mark = mark or exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark else 1


def _fallback(exc: yaml.MarkedYAMLError) -> Explained:
    problem = str(exc.problem or exc.context or "")
    hint = "check the indentation and the quotes on this line (text containing ': ' or " \
           "starting with [ { or ' needs double quotes around it)"
    if "nesting depth" in problem:
        return Explained(_line(exc), "the file is nested too deeply to read",
                         "write plain keys and short lists")
    if "end of stream" in problem or "<stream end>" in problem:
        opened = exc.context_mark or exc.problem_mark
        return Explained(opened.line + 1 if opened else 1,
                         "a quote or bracket opened here is never closed",
                         "close it on the same line: \" … \" or [ … ]")
    if "expected ',' or" in problem:
        opened = exc.context_mark or exc.problem_mark
        return Explained(opened.line + 1 if opened else 1,
                         "a [ … ] or { … } opened on this line is not closed as expected",
                         "separate the items with half-width commas and close the bracket "
                         "on the same line")
    return Explained(_line(exc), f"YAML syntax error: {problem}", hint)


def explain_line(text: str, blamed: int) -> Explained | None:
    """The first recognisable mistake at or before the line PyYAML blames."""
    for number, line in enumerate(yaml_lines(text)[:blamed], 1):
        found = _line_mistake(line, number, number >= blamed - 1)
        if found:
            return found
    return None


def _line_mistake(line: str, number: int, near: bool) -> Explained | None:
    if "\t" in line.split("#")[0]:
        return Explained(number, "this line contains a tab character",
                         "use half-width spaces instead of tabs")
    match = _FULL_WIDTH_COLON.match(line)
    if match and _looks_like_key(match.group(1)):
        key = _key_name(match.group(1))
        return Explained(number, f"'{key}' is followed by a full-width colon '：'",
                         f"type a half-width colon and a space: `{key}: …`")
    match = _NO_SPACE.match(line)
    if match and _looks_like_key(match.group(1)):
        return Explained(number, f"there is no space after '{match.group(1)}:'",
                         f"put a half-width space after the colon: `{match.group(1)}: …`")
    return _text_value_mistake(line, number) or (_indented(line, number) if near else None)


def _text_value_mistake(line: str, number: int) -> Explained | None:
    match = _TEXT_LINE.match(line)
    if not match or not match.group(2):
        return None
    key, value = match.groups()
    if value[0] in "\"'":
        return None if value.count(value[0]) > 1 else Explained(
            number, f"the quote {value[0]} that starts the {key} is not closed",
            f"end the {key} with the same quote mark, on the same line")
    if ": " in value or value.endswith(":"):
        return Explained(number, f"the {key} contains ': ', which YAML reads as a new key",
                         QUOTE_HINT)
    if (value[0] in _SPECIAL_START or value.startswith("- ")) and key != "description":
        return Explained(number, f"the {key} starts with '{value[0]}', which has a special "
                         "meaning in YAML", QUOTE_HINT)
    return None


def _indented(line: str, number: int) -> Explained | None:
    match = _INDENTED_KEY.match(line)
    if not match:
        return None
    return Explained(number, f"'{match.group(1)}:' starts with spaces",
                     f"start `{match.group(1)}:` at the very beginning of the line")


def _looks_like_key(text: str) -> bool:
    name = _key_name(text)
    return name in ALLOWED_KEYS or name in KEY_ALIASES or re.fullmatch(r"[a-z_]+", name) is not None


def _key_name(text: str) -> str:
    return folded(text).casefold()
