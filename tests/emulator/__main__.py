# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Start the emulator: `python -m tests.emulator --state-dir DIR [--port N] [--operation-seconds S]`."""
import argparse
import asyncio
import json
import os
import signal
import ssl

import trustme
from aiohttp import web

from .server import Emulator


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--state-dir", required=True, help="where endpoint.json and the CA bundle are written")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    parser.add_argument("--operation-seconds", type=float, default=0.0,
                        help="how long each long-running operation lasts (default 0)")
    parser.add_argument("--retry-after", default="1",
                        help="Retry-After sent with operations, in whole seconds (the SDK reads an int); 'none' to "
                             "send none, as AKS does")
    return parser.parse_args(argv)


def make_tls(state_dir):
    """A fresh certificate authority and a server certificate for 127.0.0.1 and localhost."""
    authority = trustme.CA(organization_name="azurelinux emulator")
    server_cert = authority.issue_cert("127.0.0.1", "localhost")
    ca_bundle = os.path.join(state_dir, "ca.pem")
    authority.cert_pem.write_to_path(ca_bundle)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(context)
    return context, ca_bundle


async def serve(args):
    os.makedirs(args.state_dir, exist_ok=True)
    context, ca_bundle = make_tls(args.state_dir)
    emulator = Emulator(operation_seconds=args.operation_seconds, retry_after=args.retry_after)
    runner = web.AppRunner(emulator.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # pylint: disable=protected-access
    emulator.base_url = f"https://127.0.0.1:{port}"
    endpoint = os.path.join(args.state_dir, "endpoint.json")
    with open(endpoint + ".tmp", "w", encoding="utf-8") as handle:
        json.dump({"url": emulator.base_url, "ca_bundle": ca_bundle, "pid": os.getpid()}, handle)
    os.replace(endpoint + ".tmp", endpoint)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await emulator.kube.close()
    await runner.cleanup()


def main(argv=None):
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
