# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Decoding the pages of a list: in this process, or in a helper process on another core.

Decoding JSON is most of the read's cost, and CPython decodes it holding the interpreter's lock: the
threads of one process decode one page at a time between them. So where the machine has a spare core,
the first threads to decode (as many as there are spare cores, at most one per list worker; the
pods' worker first) each get a helper process: the same interpreter (`sys.executable`), started
isolated (`-I -S`: no site-packages, no PYTHON* settings, no environment), which imports only this
module and `objects` (the standard library only), decodes and trims each page it is sent, and sends
back the trimmed items (marshal). Pages it decodes are never decoded whole in the az process, and two
kinds are decoded on two cores while this one makes the requests.

- A helper is started by its thread's first large page (`PROCESS_MIN` bytes) with more pages to
  come; that page is decoded here while the helper starts: nobody waits for a start.
- Small pages, and a large page that ends its list before any helper started, are decoded here: a
  helper would only add its start.
- A helper that fails in any way (it cannot start, dies, answers what cannot be read) is ended and
  not used again, and the page is decoded here: the read's result is the same either way.
- Ctrl+C is the az process's: a helper runs outside the terminal's process group (and ignores
  SIGINT besides). Its errors go nowhere. It ends when its input closes (`Helper.close`, or the az
  process's end, even a killed one) and frees nothing on its way out.
Nothing secret reaches a helper: it gets the pages' bytes, never the credential nor the environment.
"""
import gc
import json
import marshal
import os
import signal
import struct
import subprocess
import sys

from azext_azurelinux.workloads import objects

PROCESS_MIN = 256 * 1024  # bytes of a page worth a helper: a page of 500 pods is some 1.2 MB
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # azext_azurelinux, as installed
# The helper's program: this package's folder as a bare package (its __init__ imports the CLI, which the helper
# neither has nor needs), then the loop of this module.
PROGRAM = ("import sys, types\n"
           "package = types.ModuleType('azext_azurelinux')\n"
           "package.__path__ = [sys.argv[1]]\n"
           "sys.modules['azext_azurelinux'] = package\n"
           "from azext_azurelinux.workloads import pages\n"
           "pages.helper_main()\n")
REQUEST, ANSWER = struct.Struct("<II"), struct.Struct("<BI")  # (name length, body length); (status, payload length)
DECODED, NOT_A_LIST, FAILED = 0, 1, 2  # FAILED: decoded, but not sent back (decode it here)
NOT_A_LIST_ERRORS = (ValueError, AttributeError, TypeError, RecursionError)


def decode(resource, body):
    """The trimmed items of a page's bytes, and its continue token; one of NOT_A_LIST_ERRORS where the bytes are not
    a Kubernetes list."""
    page = json.loads(body)
    token = (page.get("metadata") or {}).get("continue")
    return [k for k in (objects.trim(resource, item) for item in page.get("items") or []) if k is not None], token


def cores():
    """The cores this process may run on: its CPU affinity, and on Linux its cgroup's CPU quota (a container
    limited to one CPU has no spare core, however many the host shows)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        count = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as limit:  # cgroup v2: "<quota> <period>" or "max ..."
            quota, period = limit.read().split()[:2]
        if quota != "max":
            count = min(count, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return count


def spare_cores():
    """How many helper processes can gain something: the cores beyond this process's own, where there is an
    interpreter to start."""
    return cores() - 1 if sys.executable and not getattr(sys, "frozen", False) else 0


class Helper:
    """The helper process of one worker thread (used by that thread only; `close` may come from another). `decode`
    answers as the module's `decode` does, wherever the page was decoded."""

    def __init__(self, enabled=True, minimum=None):
        self.enabled, self.minimum = enabled, minimum
        self.process = None

    def decode(self, resource, body, more=True):
        """The page's trimmed items and continue token. `more`: the list goes on after this page (a helper is
        started only then)."""
        if not self.enabled or len(body) < (PROCESS_MIN if self.minimum is None else self.minimum):
            return decode(resource, body)
        if self.process is None:
            if more:
                self._start()
            return decode(resource, body)  # this one here, while the helper starts
        status = None
        try:
            status, payload = self._ask(resource, body)
            if status == DECODED:
                answer = marshal.loads(payload)
                if isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], list):
                    return answer
        except (OSError, EOFError, ValueError, TypeError, struct.error):  # a dead or broken helper
            pass
        if status != NOT_A_LIST:
            self.close()  # not used again: whatever it answered, it answered wrong
            return decode(resource, body)
        raise ValueError(f"the {resource} page is not a Kubernetes list")

    def _start(self):
        # Out of the terminal's process group (POSIX: a session of its own; Windows: a group of its own, and no
        # console window), so that Ctrl+C reaches the az process only, even while the helper starts. No
        # environment but what Windows needs to start a process.
        if os.name == "nt":
            apart = {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW,
                     "env": {k: os.environ[k] for k in ("SYSTEMROOT",) if k in os.environ}}
        else:
            apart = {"start_new_session": True, "env": {}}
        try:
            self.process = subprocess.Popen(  # pylint: disable=consider-using-with  # ended by close()
                [sys.executable, "-I", "-S", "-c", PROGRAM, PACKAGE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, **apart)
        except (OSError, ValueError):
            self.enabled = False

    def _ask(self, resource, body):
        process, name = self.process, resource.encode()
        if process is None:  # closed meanwhile, from another thread
            raise EOFError("the helper was ended")
        try:
            process.stdin.write(REQUEST.pack(len(name), len(body)) + name)
            process.stdin.write(body)
            process.stdin.flush()
            status, size = ANSWER.unpack(_exactly(process.stdout, ANSWER.size))
            return status, _exactly(process.stdout, size)
        except BaseException:  # whatever stopped the exchange, its answer could be read as the next page's
            self.close()
            raise

    def close(self):
        """End the helper, whatever it is doing, and use none again: killed first, so that a thread blocked on its
        pipe (after Ctrl+C) gets the end of it and lets the pipe be closed."""
        self.enabled = False
        process, self.process = self.process, None
        if process is None:
            return
        process.kill()
        for pipe in (process.stdin, process.stdout):
            try:
                pipe.close()
            except OSError:  # a pipe the helper already broke
                pass
        process.wait()


def _exactly(stream, size):
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the helper ended")
    return data


def serve(inbox, outbox):
    """The helper's loop: each request a page to decode, each answer its trimmed items (marshal), NOT_A_LIST, or
    FAILED (decoded but not to be sent back), until the requests end."""
    while True:
        head = inbox.read(REQUEST.size)
        if len(head) < REQUEST.size:
            return
        name_size, body_size = REQUEST.unpack(head)
        resource, body = inbox.read(name_size).decode(), inbox.read(body_size)
        if len(body) < body_size:
            return
        try:
            decoded = decode(resource, body)
        except NOT_A_LIST_ERRORS:
            status, payload = NOT_A_LIST, b""
        else:
            try:
                status, payload = DECODED, marshal.dumps(decoded)
            except ValueError:  # nested deeper than marshal carries
                status, payload = FAILED, b""
        del body
        outbox.write(ANSWER.pack(status, len(payload)) + payload)
        outbox.flush()


def helper_main():
    """The helper process: Ctrl+C is the az process's to handle; decoded JSON holds no cycles (no collector);
    at the end, nothing is freed (os._exit)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.disable()
    try:
        serve(sys.stdin.buffer, sys.stdout.buffer)
    finally:
        os._exit(0)  # pylint: disable=protected-access
