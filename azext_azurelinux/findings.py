# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""What every check returns: `Finding`s, their severities, and how a value is shown in a message.

Its own module so that the policy editions (policy.py) and the organisation's rules (org_policy.py)
both speak it without importing each other.
"""
ERROR = "error"
WARNING = "warning"
INFO = "info"


class Finding:  # pylint: disable=too-many-instance-attributes
    """One rule's verdict on one value."""

    __slots__ = ("rule", "severity", "message", "source", "date", "subject", "value", "edition")

    def __init__(self, rule, severity, message, source=None, date=None, subject=None, value=None, edition=None):
        self.rule, self.severity, self.message = rule, severity, message
        self.source, self.date, self.subject, self.value = source, date, subject, value
        self.edition = edition

    @property
    def refused(self):
        return self.severity == ERROR

    def to_dict(self):
        return {"rule": self.rule, "severity": self.severity, "subject": self.subject, "value": self.value,
                "message": self.message, "source": self.source, "date": self.date, "edition": self.edition}

    def __repr__(self):
        return f"Finding({self.rule!r}, {self.severity!r}, {self.message!r})"


def refusals(findings):
    return [f for f in findings if f.refused]


def shown(value):
    """A value as a message shows it: as typed when it is one plain word, quoted (repr) when it is empty or holds
    spaces, line breaks or other unprintable characters, so that every message stays one readable line."""
    if isinstance(value, str) and value and value.isprintable() and not any(c.isspace() for c in value):
        return value
    return repr(value)
