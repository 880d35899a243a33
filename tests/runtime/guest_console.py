#!/usr/bin/env python3
"""Drives a test guest's shell through hpvmconsole on a pseudo-terminal, for
the suites that run real guests (tests/cli/test_guest.sh):

  guest_console.py [--log FILE] COMMAND ARGS...      (e.g. hpvmconsole -P g1)

Runs COMMAND on a new pty (so hpvmconsole attaches as on a terminal, raw mode
and Ctrl-B included) and serves requests read from stdin, one per line:

  wait SECONDS REGEX   wait for a console line matching REGEX (Python re,
                       searched); answers with that line
  sync SECONDS         make sure the guest's shell is at its prompt and every
                       earlier output is consumed (types an echo of a unique
                       word and waits for it and the prompt after it)
  run SECONDS COMMAND  type COMMAND (one line) and answer with its output up
                       to the next prompt, the echo of the typed line and
                       the terminal control sequences (busybox's ESC [ 6 n
                       after each prompt) taken out; then types "echo $?"
                       for its exit status
  send TEXT            type TEXT as is, with the escapes \\r \\n \\xHH
                       decoded (no answer but the end line)
  detach SECONDS       type Ctrl-B (hpvmconsole's escape) and wait for the
                       command to exit; answers with its exit status

Every answer ends with a line "\\x1eEND STATUS": STATUS is the exit status of
run, 0 for the others, or "timeout" (the text seen so far comes before it),
or "closed" (the console command ended). At the end of stdin the console is
detached. --log FILE keeps everything the terminal showed, raw, for failures.
"""
import os
import pty
import re
import select
import signal
import sys
import time
import uuid

PROMPT = "hpvm-guest# "
# CSI sequences (ESC [ ... final byte) and the other two-byte escapes.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
PARTIAL = re.compile(r"\x1b(\[[0-9;?]*[ -/]*)?$")
END = "\x1eEND"
# The guest's shell thinks its terminal 250 columns wide (/etc/profile).
MAX_LINE = 240


class Timeout(Exception):
    pass


class Closed(Exception):
    pass


class Console:
    def __init__(self, argv, log):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        self.raw = ""  # received and not consumed yet
        self.log = open(log, "a", encoding="utf-8", errors="replace") if log else None
        self.closed = False
        self.status = None

    def _read(self, deadline):
        """Reads what is there (waiting until the deadline); False on timeout."""
        if self.closed:
            raise Closed()
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            self.closed = True
            raise Closed()
        text = data.decode("utf-8", errors="replace")
        if self.log:
            self.log.write(text)
            self.log.flush()
        self.raw += text
        return True

    def text(self):
        """What was received, without CR and control sequences (a sequence
        cut at the end stays out until it is complete)."""
        raw = PARTIAL.sub("", self.raw)
        return CONTROL.sub("", raw).replace("\r", "")

    def write(self, data):
        if self.log:
            self.log.write(f"\n[typed {data!r}]\n")
            self.log.flush()
        os.write(self.fd, data.encode())

    def wait_regex(self, regex, deadline):
        """The first complete line matching regex; consumes up to it."""
        pattern = re.compile(regex)
        while True:
            text = self.text()
            lines = text.split("\n")
            consumed = 0
            for line in lines[:-1]:
                consumed += len(line) + 1
                if pattern.search(line):
                    self._consume_lines(consumed)
                    return line
            if not self._read(deadline):
                raise Timeout()

    def _consume_lines(self, cleaned_chars):
        """Drops raw input up to the point where cleaned_chars characters of
        cleaned text (ending with a newline) were seen."""
        # Find the raw offset: the n-th newline, n = newlines in the prefix.
        newlines = self.text()[:cleaned_chars].count("\n")
        offset = -1
        for _ in range(newlines):
            offset = self.raw.index("\n", offset + 1)
        self.raw = self.raw[offset + 1:]

    def wait_prompt(self, deadline):
        """Everything up to the next prompt (the prompt consumed)."""
        while True:
            text = self.text()
            if text.endswith(PROMPT) and not PARTIAL.search(self.raw):
                # The cursor query follows the prompt: give it a moment to
                # come, so that it is not taken for the next output.
                self._read(min(deadline, time.monotonic() + 0.05))
                text = self.text()
                if text.endswith(PROMPT):
                    self.raw = ""
                    return text[: -len(PROMPT)]
                continue
            if not self._read(deadline):
                raise Timeout()

    def sync(self, deadline):
        word = "hpvm-sync-" + uuid.uuid4().hex[:12]
        self.write(f"echo {word}\r")
        self.wait_regex("^" + re.escape(word) + "$", deadline)
        self.wait_prompt(deadline)

    def run(self, command, deadline):
        """The output of command (typed at the prompt) and its exit status."""
        self.raw = ""
        self.write(command + "\r")
        output = self.wait_prompt(deadline)
        # The first line is the echo of what was typed.
        output = output.split("\n", 1)[1] if "\n" in output else ""
        self.write("echo $?\r")
        status = self.wait_prompt(deadline).split("\n")
        return output, status[1] if len(status) > 1 else "?"

    def detach(self, deadline):
        if self.status is not None:
            return self.status
        if not self.closed:
            self.write("\x02")
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.closed = True
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            if time.monotonic() > deadline:
                raise Timeout()
            try:
                self._read(min(deadline, time.monotonic() + 0.1))
            except Closed:
                pass


def answer(lines, status):
    out = sys.stdout
    for line in lines:
        out.write(line + "\n")
    out.write(f"{END} {status}\n")
    out.flush()


def decode(text):
    return text.encode().decode("unicode_escape")


def main():
    args = sys.argv[1:]
    log = None
    if len(args) >= 2 and args[0] == "--log":
        log, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    console = Console(args, log)
    for request in sys.stdin:
        request = request.rstrip("\n")
        verb, _, rest = request.partition(" ")
        try:
            if verb == "send":
                console.write(decode(rest))
                answer([], 0)
                continue
            seconds, _, argument = rest.partition(" ")
            deadline = time.monotonic() + float(seconds)
            if verb == "wait":
                answer([console.wait_regex(argument, deadline)], 0)
            elif verb == "sync":
                console.sync(deadline)
                answer([], 0)
            elif verb == "run" and len(PROMPT + argument) > MAX_LINE:
                # Longer lines make busybox redraw them: not what was typed.
                answer([f"guest_console.py: the command is longer than {MAX_LINE - len(PROMPT)} characters"], "error")
            elif verb == "run":
                output, status = console.run(argument, deadline)
                lines = output.split("\n")
                if lines[-1] == "":
                    lines.pop()  # the prompt came after a newline
                answer(lines, status)
            elif verb == "detach":
                answer([], console.detach(deadline))
            else:
                answer([f"guest_console.py: unknown request {verb!r}"], "error")
        except Timeout:
            answer(console.text().split("\n"), "timeout")
        except Closed:
            answer(console.text().split("\n"), "closed")
    try:
        console.detach(time.monotonic() + 10)
    except (Timeout, Closed):
        pass


if __name__ == "__main__":
    main()
