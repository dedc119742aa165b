"""Loaded by every Python process of a privacy test (it is first on PYTHONPATH): refuses and records
every network use that does not stay on this machine, in the app and in the worker it spawns.

A connection to a non-loopback address, or a name lookup of anything but a loopback name, raises
OSError(ENETUNREACH) and appends one line to the file named by SCALLOP_PRIVACY_LOG.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket

_LOG = os.environ.get("SCALLOP_PRIVACY_LOG", "")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _record(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {what}\n")


def _is_local(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: object, what: str) -> None:
    if isinstance(address, tuple) and address and not _is_local(address[0]):
        _record(f"{what} {address!r}")
        raise OSError(errno.ENETUNREACH, f"network refused by the privacy test: {address!r}")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


def connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address, "connect")
    return _connect(self, address)


def connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(address, "connect_ex")
    return _connect_ex(self, address)


def sendto(self: socket.socket, data: bytes, *args: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        _check(args[-1], "sendto")
    return _sendto(self, data, *args)  # type: ignore[arg-type]


def getaddrinfo(host: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
    if host is not None and not _is_local(host):
        _record(f"getaddrinfo {host!r}")
        raise socket.gaierror(socket.EAI_NONAME, f"name lookup refused by the privacy test: {host!r}")
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
socket.socket.sendto = sendto  # type: ignore[method-assign, assignment]
socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
