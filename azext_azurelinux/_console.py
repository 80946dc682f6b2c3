# --------------------------------------------------------------------------------------------
# Copyright (c) Microsoft Corporation. All rights reserved.
# Licensed under the MIT License. See License.txt in the project root for license information.
# --------------------------------------------------------------------------------------------
"""What a long command says to the person at the terminal, and how it ends: progress on stderr, confirmation,
Ctrl-C and SIGTERM, and the exit code of a run that did not do everything it was asked."""
import shlex
import signal
import sys
import threading

from knack.log import get_logger

logger = get_logger(__name__)


class Progress:
    """Progress as the CLI shows it: nothing under --only-show-errors; on a terminal, each event on a line of its own
    with the CLI's spinner running between them; in a log (no terminal), plain lines on stderr."""

    def __init__(self):
        self.cli_ctx, self.hook = None, None
        self.lock = threading.Lock()

    def start(self, cmd):
        self.cli_ctx = cmd.cli_ctx
        self.hook = None
        if not self.quiet and sys.stderr.isatty():
            self.hook = cmd.cli_ctx.get_progress_controller()
        return self

    @property
    def quiet(self):
        return bool(getattr(self.cli_ctx, "only_show_errors", False))

    def __call__(self, message):
        if self.quiet:
            return
        with self.lock:
            if self.hook is not None:
                sys.stderr.write("\r\x1b[K")  # the spinner's line, cleared before the event is written
            sys.stderr.write(f"{message}\n")
            sys.stderr.flush()
            if self.hook is not None:
                self.hook.add(message="In progress")

    def end(self):
        if self.hook is not None:
            self.hook.end()
            self.hook = None


progress = Progress()


class StopSignals:
    """While a migration runs, Ctrl-C (SIGINT) and SIGTERM stop the waiting instead of killing the process, so
    the run can say what is in flight and how to resume. `code` is the exit code the signal asks for."""

    CODES = {"SIGINT": 130, "SIGTERM": 143}

    def __init__(self):
        self.event = threading.Event()
        self.code = None
        self._previous = {}

    def __enter__(self):
        for name, code in self.CODES.items():
            try:
                self._previous[name] = signal.signal(getattr(signal, name), self._handler(code))
            except ValueError:  # not the main thread (the CLI invoked from a script's thread): signals stay as they are
                pass
        return self

    def _handler(self, code):
        def handle(*_):
            if self.code is None:
                self.code = code
                progress("Stopping: no new pool starts, and waiting ends; operations already sent go on in Azure.")
            self.event.set()
        return handle

    def __exit__(self, *_):
        for name, handler in self._previous.items():
            signal.signal(getattr(signal, name), handler)


def confirm(question, yes):
    """Ask before something that disrupts workloads; without a terminal, refuse unless --yes was given."""
    if yes:
        return
    from azure.cli.core.azclierror import ManualInterrupt, NoTTYError
    from knack.prompting import NoTTYException, prompt_y_n
    try:
        if not prompt_y_n(question, default="n"):
            raise ManualInterrupt("Operation cancelled: nothing was changed.")
    except NoTTYException:
        raise NoTTYError("This migration disrupts workloads and needs confirmation, but there is no terminal to ask: "
                         "run it again with --yes. Nothing was changed.") from None


def exit_after_output(cli_ctx, code):
    """Let the CLI print the result as usual (-o, --query), then exit with `code`: for this invocation only, so that
    a script that runs several commands in one process (get_default_cli().invoke) gets each one's own code."""
    from knack.events import EVENT_CLI_POST_EXECUTE, EVENT_CLI_SUCCESSFUL_EXECUTE
    invocation = getattr(cli_ctx, "invocation", None)

    def forget(*_, **__):
        cli_ctx.unregister_event(EVENT_CLI_SUCCESSFUL_EXECUTE, leave)
        cli_ctx.unregister_event(EVENT_CLI_POST_EXECUTE, forget)

    def leave(cli, **_):
        forget()
        if getattr(cli, "invocation", None) is invocation:
            sys.exit(code)
    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, leave)
    cli_ctx.register_event(EVENT_CLI_POST_EXECUTE, forget)  # an invocation that failed leaves nothing behind


def resume_command():
    """The command line that resumes this run: the same one, without --dry-run."""
    args = [a for a in sys.argv[1:] if a != "--dry-run"]
    return "az " + " ".join(shlex.quote(a) for a in args)


def one_line(error):
    message = getattr(error, "message", None) or str(error)
    return " ".join(str(message).split())


def finish_run(cmd, signals, failed):
    """The end of a migration run, of one cluster or a fleet: after a stop, how to resume and the signal's exit code;
    otherwise exit 1 when something `failed` (a truthy value), else the usual 0. The report prints first."""
    progress.end()
    if signals is not None and signals.code:
        progress(f"To resume, run the same command again (from any machine): {resume_command()}")
        exit_after_output(cmd.cli_ctx, signals.code)
    elif failed:
        exit_after_output(cmd.cli_ctx, 1)
