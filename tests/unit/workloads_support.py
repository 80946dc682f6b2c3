# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Set-up shared by the tests of the Kubernetes read: an emulated API server in-process, and Entra tokens for it.

Test modules import the `kube_api` fixture from here (a conftest.py beside them would share pytest's one
`conftest` module name with tests/e2e's)."""
import base64
import json
import time

import pytest

from tests.emulator.kube import AKS_SERVER_APP_ID, ThreadedKubeApi
from tests.emulator import kube_objects as k

RG = "rg"


@pytest.fixture(scope="module")
def kube_api():
    """A KubeApi on its own event loop thread, with no emulator behind it (each test seeds its own cluster)."""
    with ThreadedKubeApi() as api:
        yield api


def entra_token(audience=AKS_SERVER_APP_ID, expires_in=3600):
    """A token shaped as Entra issues it (the emulated API server checks its audience and expiry, not a signature,
    when no emulator stands behind it)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    now = int(time.time())
    claims = {"aud": audience, "iss": "https://sts.windows.net/t/", "iat": now, "exp": now + expires_in,
              "oid": "5f0d1c36-0000-0000-0000-0000000c11e7", "upn": "dev@contoso.example"}
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk"


def small_cluster(name, **settings):
    """A seed: pool np1 of 3 nodes running a Deployment of 3, a budget over it, and a bare pod."""
    nodes = k.pool_nodes("np1", 3)
    objects = k.merge({"nodes": nodes}, k.deployment("shop", "web", nodes, replicas=3),
                      {"poddisruptionbudgets": [k.budget("shop", "web", {"matchLabels": {"app": "web"}}, 3,
                                                         min_available=2)],
                       "pods": [k.pod("default", "debug", nodes[0]["metadata"]["name"])]})
    return dict(objects, resourceGroup=RG, name=name, **settings)
