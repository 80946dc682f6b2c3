# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""A JSON reader that keeps where each value was written.

Python's `json` gives values but no positions, and a finding must point at the line where a
VM size or an OS SKU is written. This scanner parses the same language as `json.loads` (NaN
and Infinity included, the last of duplicate keys wins) and also returns, for every value,
the 1-based line where it starts, keyed by its path: a tuple of object keys (str) and array
indices (int), `()` for the whole document. Strings and numbers are decoded by the standard
library's own pieces (`json.decoder.scanstring`, the `json.scanner` number pattern), so the
values agree with `json.loads`; errors are `json.JSONDecodeError` with line and column.
"""
import json
import json.decoder
import json.scanner

_WHITESPACE = json.decoder.WHITESPACE
_NUMBER = json.scanner.NUMBER_RE
_CONSTANTS = (("true", True), ("false", False), ("null", None),
              ("NaN", float("nan")), ("Infinity", float("inf")), ("-Infinity", float("-inf")))


class Document:  # pylint: disable=too-few-public-methods
    """A parsed JSON text: `value` as `json.loads` gives it, and `lines`, path -> 1-based line."""

    __slots__ = ("path", "value", "lines")

    def __init__(self, path, value, lines):
        self.path, self.value, self.lines = path, value, lines

    def line(self, path, default=1):
        """The line where the value at `path` starts, else the nearest enclosing value's, else `default`."""
        path = tuple(path)
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, default)


def parse(text, path=None):
    """Parse JSON text into a Document (`path` names the file in messages and locations)."""
    scanner = _Scanner(text)
    value = scanner.value(0, ())
    end = _skip(text, scanner.end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return Document(path, value, scanner.lines)


def load(path):
    """Read and parse a JSON file (UTF-8, with or without a byte order mark) into a Document."""
    with open(path, encoding="utf-8-sig") as handle:
        return parse(handle.read(), path)


def _skip(text, pos):
    return _WHITESPACE.match(text, pos).end()


class _Scanner:  # pylint: disable=too-few-public-methods
    """Recursive descent over the text; `end` is the position after the last value read."""

    def __init__(self, text):
        self.text = text
        self.end = 0
        self.lines = {}
        self._seen = (0, 1)

    def _line(self, pos):
        """Values are met in text order, so each line number counts only the breaks since the last one."""
        last, line = self._seen
        line += self.text.count("\n", last, pos)
        self._seen = (pos, line)
        return line

    def value(self, pos, path):
        text = self.text
        pos = _skip(text, pos)
        self.lines[path] = self._line(pos)
        char = text[pos:pos + 1]
        if char == "{":
            return self._object(pos + 1, path)
        if char == "[":
            return self._array(pos + 1, path)
        if char == '"':
            value, self.end = json.decoder.scanstring(text, pos + 1)
            return value
        return self._scalar(pos)

    def _scalar(self, pos):
        text = self.text
        match = _NUMBER.match(text, pos)
        if match:
            integer, fraction, exponent = match.groups()
            self.end = match.end()
            if fraction or exponent:
                return float(integer + (fraction or "") + (exponent or ""))
            return int(integer)
        for word, value in _CONSTANTS:
            if text.startswith(word, pos):
                self.end = pos + len(word)
                return value
        raise json.JSONDecodeError("Expecting value", text, pos)

    def _object(self, pos, path):
        text, result = self.text, {}
        pos = _skip(text, pos)
        if text[pos:pos + 1] == "}":
            self.end = pos + 1
            return result
        while True:
            if text[pos:pos + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key, pos = json.decoder.scanstring(text, pos + 1)
            pos = _skip(text, pos)
            if text[pos:pos + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            result[key] = self.value(pos + 1, path + (key,))
            pos = _skip(text, self.end)
            char = text[pos:pos + 1]
            if char == "}":
                self.end = pos + 1
                return result
            if char != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos = _skip(text, pos + 1)

    def _array(self, pos, path):
        text, result = self.text, []
        pos = _skip(text, pos)
        if text[pos:pos + 1] == "]":
            self.end = pos + 1
            return result
        while True:
            result.append(self.value(pos, path + (len(result),)))
            pos = _skip(text, self.end)
            char = text[pos:pos + 1]
            if char == "]":
                self.end = pos + 1
                return result
            if char != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
            pos += 1


def load_file(path, option, error):
    """The JSON file given with `option` as a Document; `error` (an exception class, such as TemplateError) with a
    message naming the option, the file and what is wrong when it cannot be read or is not JSON."""
    try:
        return load(path)
    except OSError as err:
        raise error(f"{option} {path} cannot be read: {err.strerror or err}.") from err
    except ValueError as err:
        raise error(f"{option} {path} is not JSON: {err}.") from err
