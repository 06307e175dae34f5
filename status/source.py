"""Whether the source a build would load from answers: a snapshot folder is there and whole; an OpenF1 URL
(``live`` or ``http(s)://…/v1``) answers one quick request, with the credentials the loader would use.

Credentials come from ``OPENF1_USERNAME``/``OPENF1_PASSWORD`` (as the loader reads them); only the username is
ever shown, never the password or the token, nor credentials written into the URL.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from openf1_api.client import DEFAULT_BASE_URL as LIVE_BASE_URL  # the loader's (openf1_api: no dlt to import)
from openf1_replay import snapshot

PROBE_TIMEOUT_S = 3.0
SAMPLE_COMPLETE = ".complete"  # the Makefile's marker of a finished simulation (make sample)
NEEDED_ENDPOINTS = ("meetings", "sessions")  # what a load needs to find anything else


def shown_url(url: str) -> str:
    """``url`` without any ``user:password@`` in it."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def check_source(source: str, load_from: str, env: Mapping[str, str] = os.environ) -> tuple[bool, str]:
    """(answers, one line) for SOURCE and the folder or URL the Makefile loads from (LOAD_FROM)."""
    if load_from == "live":
        return probe(LIVE_BASE_URL, f"live OpenF1 API ({LIVE_BASE_URL})", env)
    if load_from.startswith(("http://", "https://")):
        return probe(shown_url(load_from).rstrip("/"), shown_url(load_from), env)
    return check_snapshot(Path(load_from), is_sample=source == "sample")


def check_snapshot(folder: Path, is_sample: bool) -> tuple[bool, str]:
    label = f"sample snapshot {folder}" if is_sample else f"snapshot {folder}"
    if not folder.is_dir():
        fix = "make build simulates it (or make sample)" if is_sample else "give SOURCE=an existing snapshot folder"
        return False, f"{label}: not there ({fix})"
    if is_sample and not (folder / SAMPLE_COMPLETE).is_file():
        return False, f"{label}: incomplete (the simulation did not finish): make sample simulates it again"
    half_written = [path for path in folder.rglob(".*.tmp") if path.is_file()]
    if half_written:
        return False, (
            f"{label}: {len(half_written)} half-written files (a recording running or interrupted):"
            " rerun the same make record to finish it"
        )
    endpoints = snapshot.endpoints_in(folder)
    missing = [endpoint for endpoint in NEEDED_ENDPOINTS if endpoint not in endpoints]
    if missing:
        return False, f"{label}: incomplete, no {' or '.join(missing)} (a load finds nothing without them)"
    kind = "; simulated data, not real results" if is_sample else ""
    return True, f"{label}: complete ({len(endpoints)} of {len(snapshot.ENDPOINTS)} endpoints{kind})"


def _request(request: urllib.request.Request) -> tuple[int, bytes]:
    """(HTTP status, body); an HTTP error status is an answer too."""
    try:
        with urllib.request.urlopen(request, timeout=PROBE_TIMEOUT_S) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _unreachable(error: Exception) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {PROBE_TIMEOUT_S:g} s"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    return type(reason).__name__ if not str(reason) else str(reason).splitlines()[0]


def _credentials(base_url: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    """(what to say about the credentials, a bearer token or None); POSTs to /token when both are set."""
    username, password = env.get("OPENF1_USERNAME", ""), env.get("OPENF1_PASSWORD", "")
    if not username:
        return "no credentials (OPENF1_USERNAME unset)", None
    if not password:
        return f"no credentials (OPENF1_USERNAME={username} without OPENF1_PASSWORD)", None
    root = base_url[: -len("/v1")] if base_url.endswith("/v1") else base_url
    form = urllib.parse.urlencode({"username": username, "password": password}).encode()
    status, body = _request(urllib.request.Request(f"{root}/token", data=form, method="POST"))
    if status == 200:
        try:
            return f"authenticated as {username}", str(json.loads(body)["access_token"])
        except (ValueError, KeyError, TypeError):
            return f"credentials of {username}: the token answer was not OpenF1's", None
    if status == 404:
        return f"credentials of {username} not used (this server has no /token)", None
    return f"credentials of {username} refused (HTTP {status}): check OPENF1_USERNAME and OPENF1_PASSWORD", None


def _latest_session(body: bytes) -> str:
    try:
        session = json.loads(body)[-1]
        return (
            f"latest session {session['session_key']}: {session.get('year', '')} "
            f"{session.get('circuit_short_name') or session.get('location') or ''} {session.get('session_name', '')}"
        ).replace("  ", " ")
    except (ValueError, KeyError, IndexError, TypeError):
        return "its answer is not a sessions list"


def probe(base_url: str, label: str, env: Mapping[str, str]) -> tuple[bool, str]:
    """One quick request for the latest session (after a token request when credentials are set)."""
    started = time.monotonic()
    try:
        credentials, token = _credentials(base_url, env)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(f"{base_url}/sessions?session_key=latest", headers=headers)
        status, body = _request(request)
    except (urllib.error.URLError, OSError) as error:
        username = env.get("OPENF1_USERNAME", "")
        said = f"credentials of {username} not tried" if username else "no credentials (OPENF1_USERNAME unset)"
        fix = "check the network" if base_url == LIVE_BASE_URL else "start that server or give another SOURCE"
        return False, f"{label}: does not answer ({_unreachable(error)}: {fix}); {said}"
    took = f"{(time.monotonic() - started) * 1000:.0f} ms"
    if status == 200:
        return True, f"{label}: answers in {took} ({_latest_session(body)}); {credentials}"
    if status == 401:
        return False, (
            f"{label}: answers HTTP 401 (during a live session OpenF1 serves only authenticated users:"
            f" set OPENF1_USERNAME and OPENF1_PASSWORD, or wait); {credentials}"
        )
    return False, f"{label}: answers HTTP {status} in {took}; {credentials}"
