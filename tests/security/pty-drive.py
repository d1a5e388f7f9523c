#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pty-drive.py [--type-after MARKER TEXT] [--signal-after MARKER SIG] -- CMD...

Runs CMD as the session leader of a new pty (its controlling terminal, fds
0-2), the way an administrator's shell runs a command on a terminal; prints
everything CMD wrote to the terminal on stdout and exits with CMD's status.
--type-after: once MARKER has appeared on the terminal, TEXT is typed (as a
keyboard would). --signal-after: once MARKER appeared, signal SIG goes to
CMD's process group (the terminal's foreground group)."""
import os
import pty
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    actions = []
    while args and args[0] != "--":
        if args[0] in ("--type-after", "--signal-after") and len(args) >= 3:
            actions.append((args[0], args[1].encode(), args[2]))
            args = args[3:]
        else:
            sys.exit("usage: pty-drive.py [--type-after MARKER TEXT] "
                     "[--signal-after MARKER SIG] -- CMD...")
    cmd = args[1:]
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    status = None
    deadline = time.monotonic() + 120
    ended = None  # when CMD exited: what a guest still writes comes within 1 s
    while time.monotonic() < deadline and (ended is None or time.monotonic() < ended + 1):
        for action in list(actions):
            kind, marker, value = action
            if marker in out:
                if kind == "--type-after":
                    os.write(master, value.encode())
                else:
                    os.killpg(pid, getattr(signal, value))
                actions.remove(action)
        if status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status, ended = st, time.monotonic()
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every slave fd is closed
            data = b""
        if not data:
            break
        out += data
    if status is None:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode(errors="replace"))
    sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)


main()
