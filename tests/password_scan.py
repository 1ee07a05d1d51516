"""APS-2 / SEC-1 over the whole suite: no response, mail, audit entry or log record ever carries a password the
tests used, nor a password hash.

A pytest plugin (hooked in from tests/conftest.py). It remembers every plaintext password handed to Django's
password hashers (``make_password``, ``set_password``, ``check_password``: they all end in a hasher's
``encode``/``verify``) and to the My Page sign-in service (whose typed password may never reach a hasher, e.g.
for an unknown ID), mistyped ones included. It records, as the tests run:

- every response the Django test client, DRF's APIClient or the live server answers (``BaseHandler.get_response``
  serves them all): body and ``Location``; a streamed body is recorded chunk by chunk as it is read, so streaming
  stays lazy;
- every mail: ``django.core.mail.outbox`` and every saved ``SentMail``;
- every ``AuditEntry``'s before and after;
- every log record that reaches the root logger.

After each test its records are scanned (plaintexts known so far, hash prefixes such as ``pbkdf2_sha256$``) and
dropped, so memory stays flat; findings fail the session at its end, loudly, naming the test and where. Request
bodies the tests send are not recorded: they legitimately carry passwords. ``expect_leaks()`` lets the plugin's
own test prove that a leak is caught.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import os
import re
import threading
import urllib.parse
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

#: Plaintexts shorter than this are not looked for (a one-letter test password would match everything), nor
#: filler of fewer distinct characters than this: the bad-input tests type the same junk ("[[[…]]]", "９９９…")
#: into every field, the operator form's password included, and the other fields rightly show it back.
MIN_PASSWORD_LENGTH = 6
MIN_DISTINCT_CHARACTERS = 3
HASH_RE = re.compile(
    r"(?:pbkdf2_sha256|pbkdf2_sha1|argon2|bcrypt_sha256|bcrypt|scrypt|unsalted_md5|unsalted_sha1|sha1|md5|crypt)"
    r"\$[A-Za-z0-9+/=$.:_-]{6,}"
)

_JSON_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass
class Finding:
    test: str
    where: str
    what: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.test}: {self.what} in {self.where}: …{self.excerpt}…"


@dataclass
class Scanner:
    """The plaintexts to look for and the records of the current test."""

    passwords: set[str] = field(default_factory=set)
    records: list[tuple[str, object]] = field(default_factory=list)  # (where, text or a callable giving it)
    checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, password) -> None:
        if (isinstance(password, str) and len(password) >= MIN_PASSWORD_LENGTH
                and len(set(password)) >= MIN_DISTINCT_CHARACTERS):
            self.passwords.add(password)

    def record(self, where: str, content) -> None:
        with self.lock:
            self.records.append((where, content))

    def check(self, where: str, text: str, test: str = "") -> list[Finding]:
        """What ``text`` gives away: a password hash, or one of the remembered plaintexts (also after HTML and
        URL unescaping, and in JSON's ``\\u`` escapes)."""
        if not text:
            return []
        variants = {text}
        if "&" in text:
            variants.add(html.unescape(text))
        if "%" in text:
            variants.add(urllib.parse.unquote_plus(text))
        if "\\u" in text:
            variants.add(_JSON_ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), text))
        found = []
        for variant in variants:
            match = HASH_RE.search(variant)
            if match:
                found.append(Finding(test, where, "a password hash", _excerpt(variant, match.start(), match.end())))
            for password in self.passwords:
                at = variant.find(password)
                if at >= 0:
                    found.append(Finding(test, where, f"the password {password!r}",
                                         _excerpt(variant, at, at + len(password))))
        unique = {(f.where, f.what): f for f in found}
        return list(unique.values())

    def scan(self, test: str) -> list[Finding]:
        """Scan the records so far (and forget them)."""
        with self.lock:
            records, self.records = self.records, []
        found: list[Finding] = []
        self.checked += len(records)
        for where, content in records:
            text = content() if callable(content) else content
            found += self.check(where, _as_text(text), test)
        return found


def _excerpt(text: str, start: int, end: int) -> str:
    return text[max(0, start - 60):end + 60].replace("\n", " ")


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


SCANNER = Scanner()
_expecting: list[list[Finding]] = []  # stack of expect_leaks() collectors


@contextmanager
def expect_leaks():
    """Within this block, findings are handed to the caller instead of failing the session (the plugin's test)."""
    collected: list[Finding] = []
    _settle(_current_test())  # earlier records of the test stay the test's: scan them now
    _expecting.append(collected)
    try:
        yield collected
    finally:
        collected += SCANNER.scan("(expect_leaks)")
        _expecting.pop()


# --- hooks into Django ------------------------------------------------------------------------------------


def _patch_hashers() -> None:
    from django.contrib.auth import hashers

    for name in dir(hashers):
        cls = getattr(hashers, name)
        if not (isinstance(cls, type) and issubclass(cls, hashers.BasePasswordHasher)):
            continue
        for method in ("encode", "verify"):
            original = cls.__dict__.get(method)
            if original is None or getattr(original, "_password_scan", False):
                continue

            def wrapper(self, password, *args, _original=original, **kwargs):
                SCANNER.remember(password)
                return _original(self, password, *args, **kwargs)

            wrapper._password_scan = True  # type: ignore[attr-defined]
            functools.update_wrapper(wrapper, original)
            setattr(cls, method, wrapper)


def _patch_sign_in() -> None:
    """The My Page sign-in: a typed password for an unknown ID never reaches a hasher."""
    import members.services as services
    import members.services.apass as apass

    original = apass.mypage_sign_in
    if getattr(original, "_password_scan", False):
        return

    @functools.wraps(original)
    def mypage_sign_in(*args, **kwargs):
        SCANNER.remember(kwargs.get("password"))
        return original(*args, **kwargs)

    mypage_sign_in._password_scan = True  # type: ignore[attr-defined]
    apass.mypage_sign_in = mypage_sign_in
    services.mypage_sign_in = mypage_sign_in


class _Tee:
    """A streamed body, recorded as it is read."""

    def __init__(self, iterable):
        self.iterable = iterable
        self.chunks: list[bytes] = []

    def __iter__(self):
        for chunk in self.iterable:
            self.chunks.append(chunk if isinstance(chunk, bytes) else str(chunk).encode())
            yield chunk

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", "replace")


def _patch_responses() -> None:
    from django.core.handlers.base import BaseHandler

    original = BaseHandler.get_response
    if getattr(original, "_password_scan", False):
        return

    @functools.wraps(original)
    def get_response(self, request):
        response = original(self, request)
        try:
            where = f"response {request.method} {request.get_full_path()} ({response.status_code})"
        except Exception:  # noqa: BLE001 - a malformed path (the bad-input tests send some) is still recorded
            where = f"response {request.method} {request.path!r} ({getattr(response, 'status_code', '?')})"
        location = response.get("Location", "") if hasattr(response, "get") else ""
        if location:
            SCANNER.record(where + " Location", location)
        if getattr(response, "streaming", False) and not getattr(response, "is_async", False):
            tee = _Tee(response.streaming_content)
            response.streaming_content = tee
            SCANNER.record(where, tee.text)
        elif not getattr(response, "streaming", False):
            SCANNER.record(where, response.content)
        return response

    get_response._password_scan = True  # type: ignore[attr-defined]
    BaseHandler.get_response = get_response


class _LogRecorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken log call is not ours to fail
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        SCANNER.record(f"log record {record.name} {record.levelname}", text)


_LOG_HANDLER = _LogRecorder(level=logging.NOTSET)


def _connect_models() -> None:
    from django.db.models.signals import post_save

    from backoffice.models import AuditEntry
    from mail.models import SentMail

    def audit_saved(sender, instance, **kwargs):
        SCANNER.record(f"AuditEntry {instance.action} on {instance.target_repr!r}",
                       _as_text({"before": instance.before, "after": instance.after}))

    def mail_saved(sender, instance, **kwargs):
        SCANNER.record(f"SentMail {instance.kind} to {instance.to}", f"{instance.subject}\n{instance.body}")

    post_save.connect(audit_saved, sender=AuditEntry, weak=False, dispatch_uid="password_scan_audit")
    post_save.connect(mail_saved, sender=SentMail, weak=False, dispatch_uid="password_scan_sentmail")


def _record_outbox() -> None:
    from django.core import mail

    for message in getattr(mail, "outbox", []) or []:
        parts = [message.subject, message.body] + [str(content) for content, _mime in getattr(message, "alternatives", [])]
        SCANNER.record(f"mail.outbox to {', '.join(message.to)}", "\n".join(str(p) for p in parts))


# --- pytest hooks ---------------------------------------------------------------------------------------------

_session_findings: list[Finding] = []


def _current_test() -> str:
    return os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]


def _settle(test: str) -> None:
    found = SCANNER.scan(test)
    if _expecting:
        _expecting[-1].extend(found)
    else:
        _session_findings.extend(found)


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    _patch_hashers()
    _patch_sign_in()
    _patch_responses()
    _connect_models()
    logging.getLogger().addHandler(_LOG_HANDLER)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _record_outbox()  # before the fixtures' teardown: the outbox is the test's
    yield
    _settle(item.nodeid)


def pytest_sessionfinish(session, exitstatus):
    _settle("(session)")
    logging.getLogger().removeHandler(_LOG_HANDLER)
    if _session_findings:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _session_findings:
        terminalreporter.write_line(f"password scan: {SCANNER.checked} responses, mails, audit entries and log records "
                                    f"hold none of {len(SCANNER.passwords)} passwords used and no hash")
        return
    terminalreporter.section("PASSWORD LEAK (APS-2): a password or its hash left the server", sep="!", red=True)
    for finding in _session_findings[:50]:
        terminalreporter.line(str(finding), red=True)
    if len(_session_findings) > 50:
        terminalreporter.line(f"… and {len(_session_findings) - 50} more", red=True)
