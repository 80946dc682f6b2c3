# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The part of ARM's template expression language that decides a node pool's fields.

An evaluated value is `Traced`: the value and the `Location` where it was written, all the way
down (an array's elements and an object's properties are `Traced` too), so that a VM size taken
from `variables('pools')[copyIndex()].vmSize` points at that element's line, and one from a
parameters file at the file's line. What cannot be known before deployment (`reference()`,
`resourceGroup()`, a function outside this subset, a parameter without a value) is `Unknown`,
with the expression text and the reason; it is never guessed, and it spreads to whatever uses it.

A `scope` (see `arm.Scope`) answers `parameter(name)`, `variable(name)`, `copy_index(loop)`,
`where(path)` and `within(loop, index)`; everything else here is pure.
"""
import json
import re
from functools import lru_cache

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<symbol>[()\[\],.]))")
_BLANK = re.compile(r"\s*\Z")
_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)([,:][^}]*)?\}")
_DEPLOY_TIME = {"reference", "resourcegroup", "subscription", "deployment", "environment", "newguid", "utcnow",
                "resourceid", "subscriptionresourceid", "tenantresourceid", "extensionresourceid", "tenant",
                "managementgroup", "managementgroupresourceid", "pickzones", "listkeys", "listsecrets",
                "deployer", "externalinputs", "readenvironmentvariable"}


class Traced:  # pylint: disable=too-few-public-methods
    """A known value (a scalar, a list of Traced, or a dict of Traced) and where it was written."""

    __slots__ = ("value", "where")

    def __init__(self, value, where):
        self.value, self.where = value, where

    def __repr__(self):
        return f"Traced({self.value!r})"


class Unknown:  # pylint: disable=too-few-public-methods
    """A value known only at deployment: the expression text, why, and where it is written."""

    __slots__ = ("expression", "reason", "where")

    def __init__(self, expression, reason, where):
        self.expression, self.reason, self.where = expression, reason, where

    def __repr__(self):
        return f"Unknown({self.expression!r}, {self.reason!r})"


class Blocked(Exception):
    """Raised by `plain` when a value holds an Unknown; carries it."""

    def __init__(self, unknown):
        super().__init__(unknown.reason)
        self.unknown = unknown


def plain(node):
    """The Python value of a Traced tree (raises Blocked on the first Unknown inside)."""
    if isinstance(node, Unknown):
        raise Blocked(node)
    value = node.value
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def wrap(value, where):
    """A Python value as a Traced tree whose every part points at `where` (values given inline)."""
    if isinstance(value, list):
        return Traced([wrap(item, where) for item in value], where)
    if isinstance(value, dict):
        return Traced({key: wrap(item, where) for key, item in value.items()}, where)
    return Traced(value, where)


def literal(value, doc, path, location):
    """A parsed JSON value as a Traced tree with each part's own line (`location(line)` makes the place)."""
    where = location(doc.line(path))
    if isinstance(value, list):
        return Traced([literal(item, doc, path + (i,), location) for i, item in enumerate(value)], where)
    if isinstance(value, dict):
        return Traced({key: literal(item, doc, path + (key,), location) for key, item in value.items()}, where)
    return Traced(value, where)


def member(node, key):
    """`node[key]` or `node.key` as ARM reads it (property names in any case); None when absent."""
    if not isinstance(node, Traced):
        return node
    value = node.value
    if isinstance(value, dict) and isinstance(key, str):
        if key in value:
            return value[key]
        folded = key.lower()
        return next((item for name, item in value.items() if name.lower() == folded), None)
    if isinstance(value, list) and isinstance(key, int) and not isinstance(key, bool) and 0 <= key < len(value):
        return value[key]
    return None


def evaluate(value, path, scope):
    """A template's JSON value at `path`, its strings evaluated and its property `copy` loops expanded."""
    if isinstance(value, str):
        return evaluate_string(value, scope, scope.where(path))
    if isinstance(value, list):
        return Traced([evaluate(item, path + (i,), scope) for i, item in enumerate(value)], scope.where(path))
    if isinstance(value, dict):
        return _evaluate_object(value, path, scope)
    return Traced(value, scope.where(path))


def _evaluate_object(value, path, scope):
    result = {}
    for key, item in value.items():
        if key.lower() == "copy" and is_property_copy(item):
            for i, spec in enumerate(item):
                result[spec["name"]] = expand_copy(spec, path + (key, i), scope)
        else:
            result[key] = evaluate(item, path + (key,), scope)
    return Traced(result, scope.where(path))


def is_property_copy(item):
    return isinstance(item, list) and all(isinstance(spec, dict) and {"name", "count", "input"} <= set(spec)
                                          for spec in item)


def expand_copy(spec, path, scope):
    """A property (or variable) `copy` loop: `count` copies of `input`, copyIndex(name) counting them."""
    count = evaluate(spec["count"], path + ("count",), scope)
    try:
        number = int(plain(count))
    except Blocked as blocked:
        return blocked.unknown
    except (TypeError, ValueError):
        return Unknown(str(spec["count"]), "the copy count is not a number", scope.where(path + ("count",)))
    items = [evaluate(spec["input"], path + ("input",), scope.within(spec["name"], i)) for i in range(number)]
    return Traced(items, scope.where(path))


def evaluate_string(text, scope, where):
    """A template string: a literal, a literal starting '[' ('[[...]'), or an expression '[...]'."""
    if not (text.startswith("[") and text.endswith("]")):
        return Traced(text, where)
    if text.startswith("[["):
        return Traced(text[1:], where)
    try:
        tree = parse(text[1:-1])
    except ValueError as err:
        return Unknown(text, f"not an expression this reader evaluates ({err})", where)
    return _Run(scope, text, where).run(tree)


@lru_cache(maxsize=4096)
def parse(source):
    """The syntax tree of an expression (without its brackets): nested tuples, cached by text."""
    tokens = _tokens(source)
    tree, pos = _expression(tokens, 0)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos][1]!r}")
    return tree


def _tokens(source):
    tokens, pos = [], 0
    while not _BLANK.match(source, pos):
        match = _TOKEN.match(source, pos)
        if not match:
            raise ValueError(f"unexpected {source[pos:].strip()[:1]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _expression(tokens, pos):
    tree, pos = _primary(tokens, pos)
    while pos < len(tokens) and tokens[pos] in (("symbol", "["), ("symbol", ".")):
        if tokens[pos][1] == "[":
            key, pos = _expression(tokens, pos + 1)
            pos = _expect(tokens, pos, "]")
            tree = ("index", tree, key)
        else:
            name = _take(tokens, pos + 1, "name")
            tree, pos = ("index", tree, ("literal", name)), pos + 2
    return tree, pos


def _primary(tokens, pos):
    kind, text = _token(tokens, pos)
    if kind == "string":
        return ("literal", text[1:-1].replace("''", "'")), pos + 1
    if kind == "number":
        return ("literal", int(text)), pos + 1
    if kind != "name":
        raise ValueError(f"unexpected {text!r}")
    if _token(tokens, pos + 1) == ("symbol", "."):
        raise ValueError(f"user-defined function {text}.{_take(tokens, pos + 2, 'name')}()")
    pos = _expect(tokens, pos + 1, "(")
    args = []
    while _token(tokens, pos) != ("symbol", ")"):
        if args:
            pos = _expect(tokens, pos, ",")
        arg, pos = _expression(tokens, pos)
        args.append(arg)
    return ("call", text.lower(), tuple(args)), pos + 1


def _token(tokens, pos):
    if pos >= len(tokens):
        raise ValueError("unexpected end")
    return tokens[pos]


def _take(tokens, pos, kind):
    found, text = _token(tokens, pos)
    if found != kind:
        raise ValueError(f"unexpected {text!r}")
    return text


def _expect(tokens, pos, symbol):
    if _token(tokens, pos) != ("symbol", symbol):
        raise ValueError(f"expected {symbol!r}")
    return pos + 1


class _Run:
    """One evaluation of one template string: `text` and `where` name it in every Unknown."""

    def __init__(self, scope, text, where):
        self.scope, self.text, self.where = scope, text, where

    def unknown(self, reason):
        return Unknown(self.text, reason, self.where)

    def run(self, tree):
        kind = tree[0]
        if kind == "literal":
            return Traced(tree[1], self.where)
        if kind == "index":
            return self._index(tree)
        return self._call(tree[1], tree[2])

    def _index(self, tree):
        base = self.run(tree[1])
        key = self.run(tree[2])
        for node in (base, key):
            if isinstance(node, Unknown):
                return node
        found = member(base, key.value)
        return found if found is not None else self.unknown(f"{key.value!r} is not in the value it indexes")

    def _call(self, name, args):
        special = {"parameters": self._parameters, "variables": self._variables,
                   "copyindex": self._copy_index, "if": self._if}.get(name)
        if special:
            return special(args)
        function = FUNCTIONS.get(name)
        if function is None:
            when = "is known only at deployment" if name in _DEPLOY_TIME or name.startswith("list") else \
                "is outside the functions this reader evaluates"
            return self.unknown(f"{name}() {when}")
        values = [self.run(arg) for arg in args]
        unknown = next((value for value in values if isinstance(value, Unknown)), None)
        if unknown:
            return unknown
        try:
            return function(values, self.where)
        except Blocked as blocked:
            return blocked.unknown
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, ZeroDivisionError) as err:
            return self.unknown(f"{name}() cannot take these arguments ({err})")

    def _named(self, args, kind, lookup):
        """parameters(name) and variables(name): the value, or Unknown saying why not."""
        node = self.run(args[0]) if args else self.unknown(f"{kind}() needs a name")
        if isinstance(node, Unknown):
            return node
        found = lookup(node.value) if isinstance(node.value, str) else None
        return found if found is not None else self.unknown(f"the template declares no {kind} {node.value!r}")

    def _parameters(self, args):
        return self._named(args, "parameter", self.scope.parameter)

    def _variables(self, args):
        return self._named(args, "variable", self.scope.variable)

    def _copy_index(self, args):
        values = [self.run(arg) for arg in args]
        unknown = next((value for value in values if isinstance(value, Unknown)), None)
        if unknown:
            return unknown
        loop = next((value.value for value in values if isinstance(value.value, str)), None)
        offset = next((value.value for value in values if isinstance(value.value, int)), 0)
        index = self.scope.copy_index(loop)
        if index is None:
            return self.unknown(f"copyIndex({loop or ''}) is used outside its copy loop")
        return Traced(index + offset, self.where)

    def _if(self, args):
        if len(args) != 3:
            return self.unknown("if() takes three arguments")
        condition = self.run(args[0])
        if isinstance(condition, Unknown):
            return condition
        return self.run(args[1] if _truth(condition.value) else args[2])


def _truth(value):
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def text_of(value):
    """A value as ARM's string() and format() write it: True/False, JSON for arrays and objects."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _same(left, right):
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    return left == right


def _concat(values, where):
    if values and all(isinstance(node.value, list) for node in values):
        return Traced([item for node in values for item in node.value], where)
    return Traced("".join(text_of(plain(node)) for node in values), where)


def _format(values, where):
    template, args = plain(values[0]), [plain(node) for node in values[1:]]

    def item(match):
        if match.group(0) in ("{{", "}}"):
            return match.group(0)[0]
        if match.group(2):
            raise ValueError(f"format item {match.group(0)} has a format specifier")
        return text_of(args[int(match.group(1))])
    return Traced(_FORMAT_ITEM.sub(item, template), where)


def _same_place(transform):
    """A function of one value whose result keeps the place of that value (toLower of a parameter...)."""
    return lambda values, where: Traced(transform(plain(values[0])), values[0].where)


def _bool(value):
    if isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise ValueError(f"{value!r} is not true or false")
        return value.lower() == "true"
    return bool(value)


def _int(value):
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    return int(value)


def _contains(container, item):
    if isinstance(container, dict):
        return str(item).lower() in (key.lower() for key in container)
    if isinstance(container, list):
        return any(_same(entry, item) for entry in container)
    return str(item) in str(container)


def _union(values, where):
    if all(isinstance(node.value, dict) for node in values):
        merged = {}
        for node in values:
            merged.update(node.value)
        return Traced(merged, where)
    items, seen = [], []
    for node in values:
        for item in node.value:
            if not any(_same(plain(item), other) for other in seen):
                seen.append(plain(item))
                items.append(item)
    return Traced(items, where)


def _pick(index):
    """first() and last(): an array's element keeps its own place; a string's character does not."""
    def pick(values, where):
        node = values[0]
        if isinstance(node.value, list):
            return node.value[index]
        return Traced(plain(node)[index], where)
    return pick


def _try_get(values, where):
    """tryGet(value, key, ...): the member (keeping its own place), or null when any key is absent."""
    node = values[0]
    for key in values[1:]:
        node = member(node, plain(key)) if node is not None else None
    return node if node is not None else Traced(None, where)


def _length(values, where):
    """length() of an array or object counts its members, known or not; of a string, its characters."""
    value = values[0].value
    return Traced(len(value) if isinstance(value, (list, dict)) else len(plain(values[0])), where)


def _value(function):
    """A function of plain values whose result is a new value, written where the expression is."""
    return lambda values, where: wrap(function(*[plain(node) for node in values]), where)


FUNCTIONS = {
    "concat": _concat,
    "format": _format,
    "union": _union,
    "tryget": _try_get,
    "first": _pick(0),
    "last": _pick(-1),
    "tolower": _same_place(lambda value: value.lower()),
    "toupper": _same_place(lambda value: value.upper()),
    "trim": _same_place(lambda value: value.strip()),
    "string": _same_place(lambda value: value if isinstance(value, str) else text_of(value)),
    "int": _same_place(_int),
    "bool": _same_place(_bool),
    "coalesce": lambda values, where: next((node for node in values if node.value is not None), Traced(None, where)),
    "createarray": lambda values, where: Traced(list(values), where),
    "json": _value(json.loads),
    "true": _value(lambda: True),
    "false": _value(lambda: False),
    "null": _value(lambda: None),
    "equals": _value(_same),
    "not": _value(lambda value: not _bool(value)),
    "and": _value(lambda *values: all(_bool(value) for value in values)),
    "or": _value(lambda *values: any(_bool(value) for value in values)),
    "length": _length,
    "empty": _value(lambda value: value is None or len(value) == 0),
    "contains": _value(_contains),
    "startswith": _value(lambda text, prefix: text.lower().startswith(prefix.lower())),
    "endswith": _value(lambda text, suffix: text.lower().endswith(suffix.lower())),
    "replace": _value(lambda text, old, new: text.replace(old, new)),
    "add": _value(lambda a, b: _int(a) + _int(b)),
    "sub": _value(lambda a, b: _int(a) - _int(b)),
    "mul": _value(lambda a, b: _int(a) * _int(b)),
    "div": _value(lambda a, b: int(_int(a) / _int(b))),
    "mod": _value(lambda a, b: _int(a) % _int(b)),
    "greater": _value(lambda a, b: a > b),
    "greaterorequals": _value(lambda a, b: a >= b),
    "less": _value(lambda a, b: a < b),
    "lessorequals": _value(lambda a, b: a <= b),
}
