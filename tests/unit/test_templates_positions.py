# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The position-keeping JSON scanner: the values json.loads gives, the line each value starts on, clear errors."""
import glob
import json
import math
import os

import pytest

from azext_azurelinux.templates import positions

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")
FIXTURES = sorted(glob.glob(os.path.join(DATA, "templates", "**", "*.json"), recursive=True))

SAMPLES = [
    '{}', '[]', '""', '0', '-0', '12345678901234567890', '-1.5e-3', '1E+2', '3.0', 'true', 'false', 'null',
    '  {"a" : [1, 2, [3, [4, []]], {"b": {}}]}  ',
    '{"vmSize":"Standard_NC6s_v3","osSKU":"AzureLinux","count":3,"zones":["1","2"],"x":{"y":[{"z":null}]}}',
    '"caf\\u00e9 \\u2603 \\ud83d\\ude00 tab\\t quote\\" slash\\/ back\\\\"',
    '{"k\\u00e9y": "v", "\\"q\\"": 1}',
    '[[[[[[["deep"]]]]]]]',
    '{"dup": 1, "dup": {"later": true}}',
    '\r\n{\r\n  "crlf": [\r\n    1\r\n  ]\r\n}\r\n',
    '["\u00e9t\u00e9", "\u65e5\u672c"]',
]


def _same(left, right):
    if isinstance(left, float) and math.isnan(left):
        return isinstance(right, float) and math.isnan(right)
    if isinstance(left, list):
        return isinstance(right, list) and len(left) == len(right) and all(map(_same, left, right))
    if isinstance(left, dict):
        return isinstance(right, dict) and list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    return type(left) is type(right) and left == right


@pytest.mark.parametrize("text", SAMPLES)
def test_values_agree_with_json_loads(text):
    assert _same(positions.parse(text).value, json.loads(text))


def test_nan_and_infinity_as_json_loads_reads_them():
    text = '[NaN, Infinity, -Infinity, 1]'
    assert _same(positions.parse(text).value, json.loads(text))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: os.path.relpath(path, DATA))
def test_every_fixture_reads_as_json_loads_reads_it(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    assert _same(positions.parse(text).value, json.loads(text))


def test_lines_of_values_keys_and_array_elements():
    text = ('{\n  "a": 1,\n  "pools": [\n    {"name": "x",\n     "vmSize": "s"},\n    "second"\n  ],\n'
            '  "b":\n    true\n}')
    lines = positions.parse(text).lines
    assert lines[()] == 1
    assert lines[("a",)] == 2
    assert lines[("pools",)] == 3
    assert lines[("pools", 0)] == 4
    assert lines[("pools", 0, "name")] == 4
    assert lines[("pools", 0, "vmSize")] == 5
    assert lines[("pools", 1)] == 6
    assert lines[("b",)] == 9


def test_a_one_line_document_is_all_line_1():
    doc = positions.parse('{"a": {"b": [1, 2, {"c": "d"}]}}')
    assert set(doc.lines.values()) == {1}


def test_line_falls_back_to_the_nearest_enclosing_value():
    doc = positions.parse('{\n "a": {\n  "b": 1\n }\n}')
    assert doc.line(("a", "b", "missing", 3)) == 3
    assert doc.line(("nothing",)) == 1


def test_escaped_newlines_in_strings_do_not_count_as_lines():
    doc = positions.parse('{"a": "one\\ntwo\\nthree",\n"b": 2}')
    assert doc.lines[("b",)] == 2


def test_duplicate_keys_keep_the_last_value_and_its_line():
    doc = positions.parse('{"k": 1,\n"k": 2}')
    assert doc.value == {"k": 2}
    assert doc.lines[("k",)] == 2


@pytest.mark.parametrize("text, line, column", [
    ('{\n  "a": 1,\n  "b": \n}', 4, 1),
    ('{\n  "a": 1\n  "b": 2\n}', 3, 3),
    ('[1, 2,,]', 1, 7),
    ('{"a" 1}', 1, 6),
    ('{\n\n  a: 1}', 3, 3),
    ('[1, 2] extra', 1, 8),
    ('', 1, 1),
    ('{"unterminated": "text}', 1, 18),
])
def test_invalid_json_names_line_and_column(text, line, column):
    with pytest.raises(json.JSONDecodeError) as raised:
        positions.parse(text)
    assert (raised.value.lineno, raised.value.colno) == (line, column)
    assert f"line {line} column {column}" in str(raised.value)
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_load_reads_a_file_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b'\xef\xbb\xbf{\n "a": "\xc3\xa9"\n}')
    doc = positions.load(str(path))
    assert doc.value == {"a": "\u00e9"}
    assert doc.lines[("a",)] == 2
    assert doc.path == str(path)
