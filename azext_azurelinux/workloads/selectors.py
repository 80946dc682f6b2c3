# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Kubernetes selectors, pure.

Two questions: does a label selector (of a budget) select a pod, and does a pod's placement (its
nodeSelector and its required node affinity) fit a node, today or once the node's OS changes? The
second works on `NodeLabels`: the values a node carries, and keys whose next value is not known
exactly (a new node image version, a new pool's name) but cannot be some values.

Scheduling rules, from the Kubernetes API reference: a nodeSelector's pairs must all hold; the
required affinity's `nodeSelectorTerms` are ORed, the expressions of a term ANDed, and a term with
neither expressions nor fields matches nothing. `matchFields` name the node itself (its name), not
its labels: they are taken to hold, since the question here is only what the labels do.
"""


class NodeLabels:  # pylint: disable=too-few-public-methods
    """What a node's labels are, or will be.

    `known`: label -> value. `unknown`: label -> a predicate telling whether the node could carry that value (the
    label is there, its value not known exactly). `unread`: the node's labels were not read at all, so a label in
    neither is taken to hold whatever is asked of it (nothing is claimed about what was not seen)."""

    __slots__ = ("known", "unknown", "unread")

    def __init__(self, known=None, unknown=None, unread=False):
        self.known = dict(known or {})
        self.unknown = dict(unknown or {})
        self.unread = unread

    def changed(self, values=None, unknown=None):
        """These labels after a change: `values` set exactly, `unknown` (label -> predicate) known only in part."""
        known = {k: v for k, v in self.known.items() if k not in (unknown or {})}
        known.update(values or {})
        pending = {k: p for k, p in self.unknown.items() if k not in (values or {})}
        pending.update(unknown or {})
        return NodeLabels(known, pending, self.unread)


def _number(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _compare(value, operator, values):
    if operator in ("Gt", "Lt"):
        have, bound = _number(value), _number(values[0] if values else None)
        if have is None or bound is None:
            return False
        return have > bound if operator == "Gt" else have < bound
    return {"In": value in values, "NotIn": value not in values, "Exists": True,
            "DoesNotExist": False}.get(operator, False)


def holds(labels, key, operator, values=()):
    """Whether a node selector requirement (In, NotIn, Exists, DoesNotExist, Gt, Lt) holds on `labels`."""
    values = list(values or ())
    if key in labels.unknown:
        if operator == "In":
            return any(labels.unknown[key](v) for v in values)
        return operator != "DoesNotExist"  # NotIn, Exists, Gt, Lt: the value may well satisfy them
    if key in labels.known:
        return _compare(labels.known[key], operator, values)
    return labels.unread or operator in ("NotIn", "DoesNotExist")


def selects(selector, labels):
    """Whether a LabelSelector (matchLabels, matchExpressions) selects an object with these labels.

    As policy/v1 reads a budget's selector: a null selector selects nothing, an empty one everything."""
    if selector is None:
        return False
    labels = labels or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if operator == "In":
            found = key in labels and labels[key] in values
        elif operator == "NotIn":
            found = key not in labels or labels[key] not in values
        elif operator == "Exists":
            found = key in labels
        elif operator == "DoesNotExist":
            found = key not in labels
        else:
            found = False
        if not found:
            return False
    return True


class Requirement:
    """One requirement of a pod's placement: a nodeSelector pair or an expression of a required affinity term."""

    __slots__ = ("key", "operator", "values", "where")

    def __init__(self, key, operator, values, where):
        self.key, self.operator, self.values, self.where = key, operator, tuple(values or ()), where

    def __str__(self):
        if self.where == "nodeSelector":
            return f"nodeSelector {self.key}={self.values[0]}"
        if self.operator in ("Exists", "DoesNotExist"):
            return f"required node affinity {self.key} {self.operator}"
        return f"required node affinity {self.key} {self.operator} ({', '.join(self.values)})"

    def holds(self, labels):
        return holds(labels, self.key, self.operator, self.values)


def placement(spec):
    """(nodeSelector requirements, required affinity terms: a list of lists of requirements) of a pod spec."""
    spec = spec or {}
    pairs = [Requirement(k, "In", [v], "nodeSelector") for k, v in sorted((spec.get("nodeSelector") or {}).items())]
    required = (((spec.get("affinity") or {}).get("nodeAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    terms = []
    for index, term in enumerate(required.get("nodeSelectorTerms") or []):
        expressions = [Requirement(e.get("key"), e.get("operator"), e.get("values"), f"term {index}")
                       for e in (term or {}).get("matchExpressions") or []]
        terms.append((expressions, bool((term or {}).get("matchFields"))))
    return pairs, terms


def misfits(spec, labels):
    """The requirements that keep a pod with this spec off a node with these labels; [] when it fits.

    When no required term matches, the failing expressions of every term are returned: the caller keeps those on
    the labels it changed, which are what the change is to blame for."""
    pairs, terms = placement(spec)
    failing = [r for r in pairs if not r.holds(labels)]
    if terms:
        failing_terms = [[r for r in expressions if not r.holds(labels)] for expressions, _ in terms]
        fits = any((expressions or fields) and not failed
                   for (expressions, fields), failed in zip(terms, failing_terms))
        if not fits:
            failing += [r for failed in failing_terms for r in failed]
    return failing


def describe(requirements):
    """Requirements as a message names them: nodeSelector pairs and a term's expressions ANDed, terms ORed."""
    selector = [str(r) for r in requirements if r.where == "nodeSelector"]
    terms = {}
    for requirement in requirements:
        if requirement.where != "nodeSelector":
            terms.setdefault(requirement.where, []).append(str(requirement))
    parts = [" and ".join(dict.fromkeys(selector))] if selector else []
    if terms:
        parts.append(" or ".join(" and ".join(dict.fromkeys(t)) for t in terms.values()))
    return " and ".join(parts)
