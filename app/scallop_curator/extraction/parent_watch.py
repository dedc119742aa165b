"""The worker process ends as soon as the app that started it is gone, whatever the worker is
doing. Killed with ``kill -9`` during an extraction, the app cannot tell the worker to stop; left
alone, the worker would run on at 100% CPU, re-parented to PID 1, until the end of its job.

Three watchers, any one of which ends the process with ``os._exit`` (no clean-up: the app that
would want the results is gone):

* Linux: the parent-death signal (``prctl(PR_SET_PDEATHSIG)``). The kernel sends it when the
  *thread* that started the worker ends, not only the process, so it is a signal that is not
  fatal by itself (``SIGUSR1``), blocked in every thread and taken by a thread that checks that
  the parent process really is gone before ending.
* Everywhere: the end of the pipe ``multiprocessing`` keeps open from the parent (its "parent
  sentinel", a process handle on Windows) becomes readable when the parent ends.
* A poll of ``os.getppid()`` every second, should neither of the above be available.

llama.cpp runs in native code with the GIL released (ctypes), so these Python threads run while
a turn is being evaluated.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading

PARENT_GONE_EXIT = 75
_PR_SET_PDEATHSIG = 1
_DEATH_SIGNAL = getattr(signal, "SIGUSR1", None)


def die_with_parent(parent_pid: int | None) -> None:
    """Start watching; ``parent_pid`` is the app's pid as the app saw it (the worker's own
    ``getppid()`` could already be another process if the app died during the start)."""
    expected = parent_pid if parent_pid is not None else os.getppid()
    if sys.platform.startswith("linux") and _DEATH_SIGNAL is not None:
        _watch_death_signal(expected)
    sentinel = _parent_sentinel()
    threading.Thread(target=_watch_parent, args=(expected, sentinel), name="parent-watch", daemon=True).start()
    if _parent_gone(expected):  # it died before the watchers were in place
        os._exit(PARENT_GONE_EXIT)


def _parent_gone(expected: int) -> bool:
    return os.name == "posix" and os.getppid() != expected


def _watch_death_signal(expected: int) -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        # Blocked here, before llama.cpp starts its threads, so they all inherit the block and
        # only the waiting thread ever takes the signal.
        signal.pthread_sigmask(signal.SIG_BLOCK, {_DEATH_SIGNAL})
        if libc.prctl(_PR_SET_PDEATHSIG, int(_DEATH_SIGNAL), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    except (OSError, AttributeError, ValueError):
        return  # the other watchers still work
    threading.Thread(target=_wait_for_death_signal, args=(expected,), name="parent-death", daemon=True).start()


def _wait_for_death_signal(expected: int) -> None:
    while True:
        signal.sigwait({_DEATH_SIGNAL})
        if _parent_gone(expected):  # not merely the thread that started us
            os._exit(PARENT_GONE_EXIT)


def _parent_sentinel() -> int | None:
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None) if parent is not None else None
    return sentinel if isinstance(sentinel, int) else None


def _watch_parent(expected: int, sentinel: int | None) -> None:
    while True:
        if sentinel is not None:
            try:
                if multiprocessing.connection.wait([sentinel], timeout=1.0):
                    os._exit(PARENT_GONE_EXIT)
            except (OSError, ValueError):
                sentinel = None
        else:
            threading.Event().wait(1.0)
        if _parent_gone(expected):
            os._exit(PARENT_GONE_EXIT)
