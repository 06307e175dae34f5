"""Open report pages in headless Chromium (Debian's ``chromium``) and check what a reader would see.

Talks to the browser over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ended by
NUL on file descriptors 3 and 4), so it needs no port, no websocket library and no network. For each page it
collects console messages, uncaught exceptions, log errors and every request that is not a local file, measures
each ``svg.chart`` as laid out, and can save a full-page screenshot or a PDF.

    python -m reports.browser check reports/site             # every page: console errors, empty charts
    python -m reports.browser screenshot PAGE.html --out shot.png [--width 390]
    python -m reports.browser pdf PAGE.html [--out report.pdf]    # or a site folder: its last Grand Prix
    python -m reports.browser gallery reports/site --out docs/screenshots   # one JPEG per page kind (README)
"""

from __future__ import annotations

import argparse
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)
CHART_PROBE = """
JSON.stringify(Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  const shapes = svg.querySelectorAll('path, line, polyline, polygon, rect, circle, text');
  let drawn = 0;
  for (const shape of shapes) { const b = shape.getBBox(); if (b.width > 0 || b.height > 0) drawn++; }
  return {id: svg.id, width: box.width, height: box.height, shapes: shapes.length, drawn: drawn,
          series: svg.querySelectorAll('.series').length};
}))
"""


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The Chromium executable: $CHROMIUM, else the first of the usual names on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if shutil.which(explicit) else None
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


@dataclass
class Chart:
    id: str
    width: float
    height: float
    shapes: int
    drawn: int
    series: int

    @property
    def is_rendered(self) -> bool:
        return self.width > 0 and self.height > 0 and self.drawn > 0


@dataclass
class PageReport:
    """What one page showed: its charts, console errors and any request that left the disk."""

    url: str
    title: str = ""
    charts: list[Chart] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def remote_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(("file:", "data:", "about:"))]

    @property
    def problems(self) -> list[str]:
        found = [f"console error: {message}" for message in self.errors]
        found += [f"network request: {url}" for url in self.remote_requests]
        found += [f"chart {chart.id or '?'} is empty ({chart})" for chart in self.charts if not chart.is_rendered]
        return found


class Browser:
    """A headless Chromium driven over the DevTools pipe; use :func:`launch`."""

    def __init__(self, process: subprocess.Popen[bytes], write_fd: int, read_fd: int) -> None:
        self.process = process
        self.write_fd = write_fd
        self.read_fd = read_fd
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    # ---- protocol -------------------------------------------------------------------------------------------------
    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self.buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError("Chromium did not answer in time")
            ready, _, _ = select.select([self.read_fd], [], [], remaining)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium closed the DevTools pipe (exit code {self.process.poll()})")
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None, timeout: float = 30
    ) -> dict[str, Any]:
        self.next_id += 1
        request: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self.write_fd, json.dumps(request).encode() + b"\0")
        while True:
            message = self._read(timeout)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        for index, event in enumerate(self.events):
            if event["method"] == method and event.get("sessionId") == session:
                return self.events.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            message = self._read(max(deadline - time.monotonic(), 0.001))
            if "method" in message:
                if message["method"] == method and message.get("sessionId") == session:
                    return message
                self.events.append(message)

    # ---- pages ----------------------------------------------------------------------------------------------------
    @contextmanager
    def page(self, width: int = 1280, height: int = 900, mobile: bool = False) -> Iterator[Tab]:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable", session=session)
            self.send(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile},
                session=session,
            )
            yield Tab(self, session)
        finally:
            self.send("Target.closeTarget", {"targetId": target})


class Tab:
    """One page in the browser: open a file, check it, capture it."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser = browser
        self.session = session

    def open(self, path: Path, timeout: float = 30) -> PageReport:
        browser, session = self.browser, self.session
        browser.events = [event for event in browser.events if event.get("sessionId") != session]
        url = path.resolve().as_uri()
        browser.send("Page.navigate", {"url": url}, session=session)
        browser.wait_for("Page.loadEventFired", session, timeout)
        report = PageReport(url=url)
        report.title = self.evaluate("document.title")
        report.charts = [Chart(**chart) for chart in json.loads(self.evaluate(CHART_PROBE))]
        self.browser.send("Runtime.evaluate", {"expression": "1"}, session=session)  # flush pending events
        for event in browser.events:
            if event.get("sessionId") != session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled":
                text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
                report.console.append(f"{params.get('type')}: {text}")
                if params.get("type") in ("error", "assert"):
                    report.errors.append(text)
            elif event["method"] == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                report.errors.append(params["entry"].get("text", ""))
            elif event["method"] == "Network.requestWillBeSent":
                report.requests.append(params.get("request", {}).get("url", ""))
        browser.events = [event for event in browser.events if event.get("sessionId") != session]
        return report

    def evaluate(self, expression: str) -> Any:
        result = self.browser.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluate failed: {result['exceptionDetails'].get('text')}")
        return result.get("result", {}).get("value")

    def screenshot(
        self, out: Path, top: float = 0, height: float | None = None, image_format: str = "png", quality: int = 80
    ) -> Path:
        """A PNG (or JPEG) of the whole page, not only the viewport; or of ``height`` CSS pixels from ``top``."""
        metrics = self.browser.send("Page.getLayoutMetrics", session=self.session)
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        top = max(0.0, min(top, size["height"] - 1))
        tall = size["height"] - top if height is None else min(height, size["height"] - top)
        clip = {"x": 0, "y": top, "width": size["width"], "height": min(tall, 16000), "scale": 1}
        options: dict[str, Any] = {"format": image_format, "captureBeyondViewport": True, "clip": clip}
        if image_format == "jpeg":
            options["quality"] = quality
        data = self.browser.send("Page.captureScreenshot", options, session=self.session, timeout=60)["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out

    def pdf(self, out: Path) -> Path:
        data = self.browser.send(
            "Page.printToPDF",
            {
                "printBackground": True,
                "paperWidth": 8.27,
                "paperHeight": 11.69,
                "marginTop": 0.4,
                "marginBottom": 0.4,
                "marginLeft": 0.4,
                "marginRight": 0.4,
            },
            session=self.session,
            timeout=120,
        )["data"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(base64.b64decode(data))
        return out


@contextmanager
def launch(executable: str | None = None) -> Iterator[Browser]:
    """Start headless Chromium with a throwaway profile; stop it (and remove the profile) on exit."""
    executable = executable or find_chromium()
    if not executable:
        raise BrowserError("Chromium not found: apt-get install chromium (or set CHROMIUM)")
    profile = tempfile.mkdtemp(prefix="openf1-chromium-")
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()
    process = subprocess.Popen(
        [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=False,  # our own descriptors are not inheritable (PEP 446): only fds 3 and 4 pass
        preexec_fn=_pipe_fds(to_browser_read, from_browser_write),
    )
    _close(to_browser_read)
    _close(from_browser_write)
    browser = Browser(process, to_browser_write, from_browser_read)
    try:
        browser.send("Browser.getVersion", timeout=60)
        yield browser
    finally:
        with suppress(BrowserError, OSError):
            browser.send("Browser.close", timeout=5)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        _close(to_browser_write)
        _close(from_browser_read)
        shutil.rmtree(profile, ignore_errors=True)


def _pipe_fds(commands: int, answers: int) -> Callable[[], None]:
    """In the child, before exec: Chromium reads commands on fd 3 and writes answers on fd 4."""

    def arrange() -> None:
        high_commands = fcntl.fcntl(commands, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
        high_answers = fcntl.fcntl(answers, fcntl.F_DUPFD, 10)
        os.dup2(high_commands, 3)
        os.dup2(high_answers, 4)

    return arrange


def _close(fd: int) -> None:
    with suppress(OSError):
        os.close(fd)


def check_site(site: Path, screenshots: Path | None = None) -> list[PageReport]:
    """Open every page of a rendered site; optionally save a screenshot of each."""
    reports = []
    with launch() as browser, browser.page() as tab:
        for page in sorted(site.rglob("*.html")):
            reports.append(tab.open(page))
            if screenshots:
                tab.screenshot(screenshots / page.relative_to(site).with_suffix(".png"))
    return reports


# One page of each kind for the README: (name, folder of the site, which page of it, the part to show first).
GALLERY = (
    ("index", "", "index.html", None),
    ("race", "races", "first Grand Prix", "#telemetry"),
    ("race-strategy", "races", "first Grand Prix", "#strategy-heading"),
    ("qualifying", "qualifying", "first", None),
    ("season", "seasons", "first", "#title-fight"),
    ("driver", "drivers", "first", None),
    ("quality", "", "quality.html", None),
)
ELEMENT_TOP = (
    "(() => { const e = document.querySelector(%s); return e ? e.getBoundingClientRect().top + scrollY : 0; })()"
)


def _gallery_page(site: Path, folder: str, which: str) -> Path | None:
    if not folder:
        return site / which if (site / which).is_file() else None
    pages = sorted((site / folder).glob("*.html"))
    if which == "first Grand Prix":
        pages = [page for page in pages if not page.stem.endswith("-sprint")]
    return pages[0] if pages else None


def gallery(site: Path, out: Path, width: int = 1200, height: int = 1000, quality: int = 60) -> list[Path]:
    """A JPEG of one page of each kind (its first ``height`` pixels, from the part worth showing) into ``out``."""
    written = []
    with launch() as browser, browser.page(width=width, height=height) as tab:
        for name, folder, which, selector in GALLERY:
            page = _gallery_page(site, folder, which)
            if page is None:
                print(f"note: no {name} page in {site}: skipped", file=sys.stderr)
                continue
            report = tab.open(page)
            for problem in report.problems:
                print(f"warning: {page.name}: {problem}", file=sys.stderr)
            top = float(tab.evaluate(ELEMENT_TOP % json.dumps(selector)) or 0) if selector else 0.0
            shot = tab.screenshot(out / f"{name}.jpg", top=top, height=height, image_format="jpeg", quality=quality)
            print(f"{shot} ({shot.stat().st_size // 1024} KB) from {page.relative_to(site)}")
            written.append(shot)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.browser", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="open every page of a site; exit 1 on console errors or empty charts")
    check.add_argument("site", type=Path)
    check.add_argument("--screenshots", type=Path, help="also save a PNG of every page here")
    shot = commands.add_parser("screenshot", help="a full-page PNG of one page")
    shot.add_argument("page", type=Path)
    shot.add_argument("--out", type=Path, required=True)
    shot.add_argument("--width", type=int, default=1280, help="viewport width in CSS pixels (390: a phone)")
    shots = commands.add_parser("gallery", help="a small JPEG of one page of each kind (the README's screenshots)")
    shots.add_argument("site", type=Path)
    shots.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    pdf = commands.add_parser("pdf", help="print one page to PDF (A4); a site folder: its last Grand Prix report")
    pdf.add_argument("page", type=Path)
    pdf.add_argument("--out", type=Path, help="default: the page's name with .pdf, beside it")
    args = parser.parse_args(argv)
    if args.command == "pdf" and args.page.is_dir():
        races = sorted(page for page in (args.page / "races").glob("*.html") if not page.stem.endswith("-sprint"))
        if not races:
            print(f"error: no race report in {args.page}: run make reports first", file=sys.stderr)
            return 1
        args.page = races[-1]
    if args.command == "pdf" and args.out is None:
        args.out = args.page.with_suffix(".pdf")
    try:
        if args.command == "check":
            reports = check_site(args.site, args.screenshots)
            problems = [(report.url, problem) for report in reports for problem in report.problems]
            for url, problem in problems:
                print(f"{url}: {problem}", file=sys.stderr)
            charts = sum(len(report.charts) for report in reports)
            print(f"{len(reports)} pages, {charts} charts, {len(problems)} problems")
            return 1 if problems else 0
        if args.command == "gallery":
            if not (args.site / "index.html").is_file():
                print(f"error: no site in {args.site}: run make reports first", file=sys.stderr)
                return 1
            return 0 if gallery(args.site, args.out) else 1
        if not args.page.is_file():
            print(f"error: {args.page} does not exist: run make reports first", file=sys.stderr)
            return 1
        with (
            launch() as browser,
            browser.page(width=getattr(args, "width", 1280), mobile=getattr(args, "width", 1280) < 600) as tab,
        ):
            report = tab.open(args.page)
            out = tab.screenshot(args.out) if args.command == "screenshot" else tab.pdf(args.out)
        for problem in report.problems:
            print(f"warning: {problem}", file=sys.stderr)
        print(f"Wrote {out}")
        return 0
    except BrowserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
