# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""A local stand-in for Microsoft Entra ID sign-in, ARM and Microsoft.ContainerService.

Run it with `python -m tests.emulator --state-dir DIR [--port N] [--operation-seconds S]`.
Once it serves, `DIR/endpoint.json` holds its `url` and `ca_bundle`.
"""
