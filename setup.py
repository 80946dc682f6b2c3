#!/usr/bin/env python
# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Packaging of the azurelinux Azure CLI extension."""
from codecs import open as open1

from setuptools import find_packages, setup

VERSION = "1.0.0b1"

CLASSIFIERS = [
    "Development Status :: 4 - Beta",
    "Intended Audience :: Developers",
    "Intended Audience :: System Administrators",
    "Programming Language :: Python",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "License :: OSI Approved :: MIT License",
]

# The extension uses only what the Azure CLI bundles (knack, azure-cli-core and
# azure-mgmt-containerservice through ResourceType.MGMT_CONTAINERSERVICE).
DEPENDENCIES = []

# Development and tests: the CLI itself, the emulator's HTTP framework and certificates,
# the test runner and its plugins.
DEV_DEPENDENCIES = [
    "azure-cli==2.91.0",
    "aiohttp>=3.9",
    "trustme>=1.1",
    "azure-identity>=1.15",
    "pytest>=8",
    "pytest-xdist>=3.5",
    "hypothesis>=6.100",
    "jsonschema>=4.18",
    "xmlschema>=3",
    "pylint>=3",
    "flake8>=7",
    "build>=1.0",
    "wheel",
]

with open1("README.md", "r", encoding="utf-8") as f:
    README = f.read()
with open1("HISTORY.rst", "r", encoding="utf-8") as f:
    HISTORY = f.read()

setup(
    name="azurelinux",
    version=VERSION,
    description="Run AKS node pools on Azure Linux: create, add, check and migrate, with the support policy "
                "checked before anything is sent.",
    long_description=README + "\n\n" + HISTORY,
    long_description_content_type="text/markdown",
    license="MIT",
    author="azurelinux developers",
    url="https://github.com/Azure/azure-cli-extensions",
    classifiers=CLASSIFIERS,
    packages=find_packages(exclude=["tests", "tests.*", "bench", "bench.*"]),
    package_data={"azext_azurelinux": ["azext_metadata.json", "support_matrix.json", "org_policy.schema.json"]},
    install_requires=DEPENDENCIES,
    extras_require={"dev": DEV_DEPENDENCIES},
)
