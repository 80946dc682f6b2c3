# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""Pages decoded here or by a helper process: the same items either way, and every way a helper can fail."""
import io
import json
import marshal
import os
import signal
import subprocess
import sys
import time

import pytest

from azext_azurelinux.workloads import kube, pages
from tests.emulator import kube_objects as k
from tests.unit import workloads_support
from tests.unit.workloads_support import RG

kube_api = workloads_support.kube_api


def pod_page(count, continue_token=None, first=0):
    nodes = k.pool_nodes("np1", 3)
    items = [k.pod("shop", f"web-{i}", nodes[i % 3]["metadata"]["name"], labels={"app": "web"}, ready=i % 7 != 0)
             for i in range(first, first + count)]
    meta = {"resourceVersion": "9"}
    if continue_token:
        meta["continue"] = continue_token
    return json.dumps({"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": items}).encode()


@pytest.fixture(name="helper")
def fixture_helper():
    helper = pages.Helper(minimum=0)
    yield helper
    helper.close()


def test_a_helper_decodes_what_this_process_would_and_its_first_page_is_decoded_here(helper, monkeypatch):
    first, second = pod_page(300, "t1"), pod_page(300, first=300)
    asked = []
    real_ask = helper._ask  # pylint: disable=protected-access
    monkeypatch.setattr(helper, "_ask", lambda *args: asked.append(args[0]) or real_ask(*args))
    assert helper.decode("pods", first) == pages.decode("pods", first)  # here, while the helper starts
    assert helper.process is not None and helper.process.poll() is None and asked == []
    expected = pages.decode("pods", second)

    def not_here(resource, body):
        raise AssertionError("the second page is the helper's")
    monkeypatch.setattr(pages, "decode", not_here)
    items, token = helper.decode("pods", second)
    assert (items, token) == expected and token is None and len(items) == 300 and asked == ["pods"]
    assert items[1]["metadata"]["name"] == "web-301"  # 301 = 7 x 43: made unready
    assert items[1]["status"]["conditions"] == [{"type": "Ready", "status": "False"}]  # trimmed, as here


def test_small_pages_last_pages_and_disabled_helpers_start_no_process():
    small, last, disabled = pages.Helper(), pages.Helper(minimum=0), pages.Helper(enabled=False, minimum=0)
    page = pod_page(5)
    assert small.decode("pods", page) == last.decode("pods", page, more=False) == \
        disabled.decode("pods", page) == pages.decode("pods", page)
    assert len(page) < pages.PROCESS_MIN and small.process is None and last.process is None
    assert disabled.process is None


def test_a_page_that_is_not_a_list_is_an_error_and_the_helper_stays(helper):
    helper.decode("pods", pod_page(2))  # starts it
    for body in (b"<html>502 Bad Gateway</html>", b"[1, 2]", b'{"items": [1]}'):
        with pytest.raises(pages.NOT_A_LIST_ERRORS):
            helper.decode("pods", body)
    assert helper.process.poll() is None and helper.enabled
    assert len(helper.decode("pods", pod_page(3))[0]) == 3


def test_a_helper_that_dies_is_not_used_again_and_the_page_is_decoded_here(helper):
    helper.decode("pods", pod_page(2))
    process = helper.process
    process.kill()
    process.wait()
    page = pod_page(40)
    assert helper.decode("pods", page) == pages.decode("pods", page)
    assert not helper.enabled and helper.process is None
    assert helper.decode("pods", page) == pages.decode("pods", page)


@pytest.mark.parametrize("answer", [(pages.DECODED, b"\xff not marshal"), (pages.DECODED, marshal.dumps([1, 2])),
                                    (pages.DECODED, marshal.dumps(({}, None))), (pages.FAILED, b""), (7, b"")])
def test_a_helper_that_answers_what_cannot_be_used_is_ended(helper, answer):
    helper.decode("pods", pod_page(2))
    process = helper.process
    helper._ask = lambda resource, body: answer  # pylint: disable=protected-access
    page = pod_page(4)
    assert helper.decode("pods", page) == pages.decode("pods", page)
    assert not helper.enabled and process.poll() is not None and helper.process is None


def test_an_exchange_cut_short_ends_the_helper_so_no_answer_is_read_for_the_wrong_page(helper, monkeypatch):
    helper.decode("pods", pod_page(2))
    process = helper.process
    monkeypatch.setattr(pages, "_exactly", lambda stream, size: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        helper.decode("pods", pod_page(3))
    assert process.poll() is not None and helper.process is None and not helper.enabled


def test_a_helper_that_cannot_start_leaves_the_decoding_here(monkeypatch):
    monkeypatch.setattr(pages.sys, "executable", os.path.join(os.sep, "nowhere", "python"))
    helper = pages.Helper(minimum=0)
    page = pod_page(3)
    assert helper.decode("pods", page) == helper.decode("pods", page) == pages.decode("pods", page)
    assert not helper.enabled and helper.process is None


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_is_the_az_process_s_and_close_ends_the_helper(helper):
    helper.decode("pods", pod_page(2))
    process = helper.process
    assert os.getpgid(process.pid) != os.getpgid(0)  # the terminal's Ctrl+C goes to az's process group only
    assert len(helper.decode("pods", pod_page(20))[0]) == 20  # through the helper: it is running its loop
    os.kill(process.pid, signal.SIGINT)  # and a SIGINT sent to it anyway is ignored
    assert len(helper.decode("pods", pod_page(30))[0]) == 30 and process.poll() is None
    helper.close()
    assert process.poll() is not None and helper.process is None
    helper.close()  # twice is harmless


def test_the_helper_loop_answers_each_request_and_stops_at_a_cut_one():
    name, body = b"pods", pod_page(3, "t9")
    requests = (pages.REQUEST.pack(len(name), len(body)) + name + body +
                pages.REQUEST.pack(len(name), 6) + name + b"[1, 2]" +
                pages.REQUEST.pack(len(name), 100) + name + b"{}")  # cut short: the loop ends
    answers = io.BytesIO()
    pages.serve(io.BytesIO(requests), answers)
    answers.seek(0)
    status, size = pages.ANSWER.unpack(answers.read(pages.ANSWER.size))
    assert status == pages.DECODED and marshal.loads(answers.read(size)) == pages.decode("pods", body)
    assert pages.ANSWER.unpack(answers.read(pages.ANSWER.size)) == (pages.NOT_A_LIST, 0)
    assert answers.read() == b""


def test_the_helper_loop_says_so_when_a_decoded_page_cannot_be_sent_back(monkeypatch):
    monkeypatch.setattr(pages.marshal, "dumps", lambda value: (_ for _ in ()).throw(ValueError("too deep")))
    name, body = b"pods", pod_page(2)
    answers = io.BytesIO()
    pages.serve(io.BytesIO(pages.REQUEST.pack(len(name), len(body)) + name + body), answers)
    assert answers.getvalue() == pages.ANSWER.pack(pages.FAILED, 0)


def test_helpers_are_one_per_spare_core_and_worker_and_end_with_the_lister(monkeypatch):
    monkeypatch.setattr(pages, "cores", lambda: 2)
    assert kube.Lister(lambda: None, "https://x", workers=2).helpers == 1
    monkeypatch.setattr(pages, "cores", lambda: 1)
    assert kube.Lister(lambda: None, "https://x", workers=2).helpers == 0
    monkeypatch.setattr(pages, "cores", lambda: 8)
    lister = kube.Lister(lambda: None, "https://x", workers=2)
    assert lister.helpers == 2
    lister.helpers = 1
    mine = lister._helper()  # pylint: disable=protected-access
    other = lister._fetchers.submit(lister._helper).result()  # pylint: disable=protected-access
    assert mine.enabled and not other.enabled and lister._helper() is mine  # pylint: disable=protected-access
    mine.minimum = 0
    mine.decode("pods", pod_page(1))
    process = mine.process
    lister.close()
    assert process.poll() is not None and not mine.enabled
    lister._local.helper = None  # pylint: disable=protected-access  # a thread that asks after the close
    assert not lister._helper().enabled  # pylint: disable=protected-access


def test_a_cluster_read_through_helpers_is_the_cluster_read_here(kube_api, monkeypatch):
    nodes = k.pool_nodes("np1", 4)
    families = [{"nodes": nodes}] + [k.deployment("shop", f"svc-{i}", nodes, replicas=5) for i in range(241)]
    kube_api.seed(dict(k.merge(*families), resourceGroup=RG, name="helped"))
    status, answer = kube_api.credentials(RG, "helped")
    here = kube.read_workloads(answer, None, helpers=0, page_size=100)
    monkeypatch.setattr(pages, "PROCESS_MIN", 1024)  # every page but the smallest to a helper
    started, asked = [], []
    start, ask = pages.Helper._start, pages.Helper._ask  # pylint: disable=protected-access
    monkeypatch.setattr(pages.Helper, "_start", lambda self: started.append(self) or start(self))
    monkeypatch.setattr(pages.Helper, "_ask", lambda self, *args: asked.append(args[0]) or ask(self, *args))
    helped = kube.read_workloads(answer, None, helpers=2, page_size=100)
    assert status == 200 and helped == here and len(here["pods"]) == 1205 and here["warnings"] == []
    assert len(started) == 2 and all(h.process is None for h in started)  # both started, both ended
    assert asked.count("pods") == 12  # 13 pages: the first decoded here while its helper started
    assert set(asked) == {"pods", "deployments", "replicasets"}  # the other worker's lists of more than a page


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="SIGKILL, and /proc to see the helper end")
def test_a_helper_ends_when_the_az_process_is_killed():
    program = ("import os, signal, sys\n"
               "from azext_azurelinux.workloads import pages\n"
               "from tests.unit.test_workloads_pages import pod_page\n"
               "helper = pages.Helper(minimum=0)\n"
               "helper.decode('pods', pod_page(2))\n"
               "assert len(helper.decode('pods', pod_page(3))[0]) == 3\n"
               "print(helper.process.pid, flush=True)\n"
               "os.kill(os.getpid(), signal.SIGKILL)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=root), check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    pid = int(done.stdout)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended: its parent is gone
    except FileNotFoundError:
        return False
