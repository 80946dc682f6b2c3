# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""The one raw transport for what the SDK has no model for (or parses too slowly): ARM GETs that the preflight,
the inventory, the fleet and completion make, and Resource Graph queries. Every request goes through the
container service client's pipeline (the CLI's credential, retry policy, and a log that redacts the token);
every list follows `nextLink` (`pages`)."""
import json
import logging
import time

logger = logging.getLogger("cli.azext_azurelinux._arm")  # the CLI shows its "cli." loggers with --debug


class Forbidden(Exception):
    """The identity may not read this (HTTP 403)."""


class Unreadable(Exception):
    """A scope the identity cannot read (403, 404): reported and skipped by the caller."""


def send(service, request):
    """service.send_request, the body read whole and parsed by nobody else. Read whole the usual way, a response is
    also parsed by the pipeline's ContentDecodePolicy into a context that send_request never hands back: a second parse
    of every body, 0.1 s on the several-MB SKU list. Streamed, the policy leaves it alone; read() then keeps it."""
    response = service.send_request(request, stream=True)
    try:
        response.read()
    finally:
        response.close()  # read whole, its connection goes back to the pool
    return response


def response_message(response):
    """The message of an ARM error body (with or without the `error` wrapper), or ''."""
    try:
        body = json.loads(response.content)
        return (body.get("error") or body).get("message", "")
    except (ValueError, AttributeError):
        return ""


def pages(get_json, path, params):
    """Every item of an ARM list: `value` of each page, following `nextLink` (whose query is complete, so it is
    sent without `params`) until a page has none."""
    page = get_json(path, params)
    yield from page.get("value", [])
    while page.get("nextLink"):
        page = get_json(page["nextLink"], None)
        yield from page.get("value", [])


def json_reader(service, on_status=None, on_error=None):
    """get_json(path, params) -> the parsed body of a GET. `on_status` maps a status code, and `on_error` any other
    failure, to a function(path, response) that raises what the caller wants instead (a 403 to Forbidden, say);
    without one, a failure raises azure-core's HttpResponseError."""
    from azure.core.rest import HttpRequest
    on_status = on_status or {}

    def get(path, params):
        response = send(service, HttpRequest("GET", path, params=params))
        handler = on_status.get(response.status_code) or (on_error if response.status_code >= 400 else None)
        if handler:
            handler(path, response)
        response.raise_for_status()
        return json.loads(response.content)  # bytes straight to the parser: the SKU list is megabytes
    return get


def preflight_reader(service):
    """The preflight's reads: a 403 is a check skipped with a warning, any other failure stops with what to do."""
    from azure.cli.core.azclierror import AzureResponseError

    def forbidden(path, response):
        raise Forbidden(path)

    def failed(path, response):
        raise AzureResponseError(f"The preflight could not read {path.split('?')[0]} (HTTP {response.status_code}); "
                                 "nothing was changed. Run the command again, or add --skip-preflight.")
    return json_reader(service, {403: forbidden}, failed)


def listing_reader(service):
    """Reads of whole subscriptions (the inventory): a 403 or 404 makes the subscription Unreadable, with why."""
    def unreadable(path, response):
        raise Unreadable(f"HTTP {response.status_code}: {response_message(response)}")
    return json_reader(service, {403: unreadable, 404: unreadable})


def _seconds(hh_mm_ss):
    parts = [float(p) for p in str(hh_mm_ss).split(":")]
    return sum(value * 60 ** index for index, value in enumerate(reversed(parts)))


def graph_poster(service):
    """POSTs to Resource Graph that keep to the user's quota: when the service says none is left
    (x-ms-user-quota-remaining: 0), the next query waits until the quota resets; a 429 is retried by the SDK; a 403
    (no subscription of the query may be read) is Unreadable."""
    from azure.core.rest import HttpRequest
    pause = [0.0]

    def post(path, body):
        if pause[0]:
            logger.debug("Resource Graph quota used up: waiting %.1f s for it to reset", pause[0])
            time.sleep(pause[0])
        response = send(service, HttpRequest("POST", path, json=body))
        if response.status_code == 403:  # none of the subscriptions asked for may be read
            raise Unreadable(f"Resource Graph answered HTTP 403: {response_message(response)}")
        response.raise_for_status()
        remaining = response.headers.get("x-ms-user-quota-remaining")
        resets = response.headers.get("x-ms-user-quota-resets-after", "00:00:00")
        pause[0] = _seconds(resets) if remaining is not None and int(remaining) <= 0 else 0.0
        return json.loads(response.content)
    return post
