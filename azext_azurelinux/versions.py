# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Kubernetes versions as the policy, the organisation's rules, the preflight and completion compare them."""
import re

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?$")


def parse(text):
    """(major, minor) of '1.33' or '1.33.5' (a leading v allowed), or None when the text is not a version."""
    match = _VERSION.match(str(text).strip()) if text is not None else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def minor(text):
    """'1.33' of '1.33.5'; None when the text is not a version."""
    parsed = parse(text)
    return f"{parsed[0]}.{parsed[1]}" if parsed else None


def sort_key(text):
    """A key that orders '1.9', '1.10', '1.33.5' as numbers; a part that is not a number counts as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in str(text).lstrip("v").split("."))
