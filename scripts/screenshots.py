"""Take the README screenshots from a running portal with the demo data.

    make run                                   # in another terminal: demo data on :8000
    .venv/bin/python scripts/screenshots.py    # writes docs/screenshots/*.png

Options: ``--url`` (default http://127.0.0.1:8000), ``--out`` (default docs/screenshots),
``--chromium`` (default /usr/bin/chromium, Debian's package), ``--supplier CODE`` (the
supplier page to show; by default the largest-spend full-scorecard supplier with a score
history, audits and open findings, other than the one the ``supplier`` login belongs to),
``--only NAME[,NAME]`` (e.g. ``--only dashboard,finding``). Logins default to the ones
``make run`` prints (``manage.py demo_logins``).

Every page is checked before it is saved: HTTP 200, not the login page, the expected
element present. The script stops with an error otherwise, so a broken page never ends
up in the README. Needs the ``playwright`` Python package (no browser download: it drives
the system Chromium).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from urllib.parse import urljoin, urlparse

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 1280
HEIGHT = 900
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOGINS = {
    "analyst": "demo-analyst-2026",
    "supplier": "demo-supplier-2026",
}
NAMES = ("dashboard", "trends", "suppliers", "supplier", "audits", "findings", "finding", "scorecard-values",
         "recalculation", "supplier-self-service", "supplier-zh")


class ScreenshotError(RuntimeError):
    pass


class Shooter:
    def __init__(self, page: Page, base: str, out: Path, only: set[str]):
        self.page, self.base, self.out, self.only = page, base.rstrip("/"), out, only
        self.written: list[tuple[str, str]] = []

    def url(self, path: str) -> str:
        return urljoin(self.base + "/", path.lstrip("/"))

    def open(self, path: str, expect: str) -> None:
        """Go to ``path`` and check it is a real page: status 200, not the login form,
        ``expect`` (a CSS selector) present."""
        response = self.page.goto(self.url(path), wait_until="networkidle")
        status = response.status if response else None
        if status != 200:
            raise ScreenshotError(f"{path}: HTTP {status}")
        if urlparse(self.page.url).path.startswith("/accounts/login"):
            raise ScreenshotError(f"{path}: redirected to the login page (wrong password or role?)")
        if self.page.locator(expect).count() == 0:
            raise ScreenshotError(f"{path}: expected element {expect!r} not found on {self.page.url}")

    def shoot(self, name: str, path: str, expect: str = "main h1", prepare=None) -> None:
        if self.only and name not in self.only:
            return
        self.open(path, expect)
        if prepare:
            prepare(self.page)
        target = self.out / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        self.written.append((name, self.page.url))
        print(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}  <- {self.page.url}")

    def hrefs(self, selector: str) -> list[str]:
        return self.page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))")


def login(page: Page, base: str, username: str, password: str) -> None:
    page.context.clear_cookies()
    page.goto(urljoin(base + "/", "accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form [type=submit]").first.click()
    if urlparse(page.url).path.startswith("/accounts/login"):
        raise ScreenshotError(f"login as {username!r} failed: check the password (manage.py demo_logins)")


def set_language(page: Page, code: str) -> None:
    """Switch the portal language with the header's language picker (autosubmits)."""
    picker = page.locator("select[name=language]")
    if picker.input_value() == code:
        return
    with page.expect_navigation():
        picker.select_option(code)
    page.wait_for_load_state("networkidle")


def open_history(page: Page) -> None:
    """Open the score history's "numbers behind the chart" (quarter by quarter, with the
    indicators that moved); the other disclosures stay as a reader first sees them."""
    page.eval_on_selector_all("section[aria-labelledby=history-h] details", "els => els.forEach(e => e.open = true)")


def own_supplier_code(page: Page, base: str) -> str | None:
    """The supplier a supplier_user belongs to: the portal's home redirects there."""
    page.goto(urljoin(base + "/", ""))
    match = re.match(r"^/suppliers/([^/]+)/$", urlparse(page.url).path)
    return match.group(1) if match else None


def rich_supplier(shooter: Shooter, exclude: set[str], tries: int = 25) -> str:
    """The largest-spend supplier whose page has everything worth showing: a full scorecard
    (subscores), at least two quarters of score history, audits and open findings."""
    shooter.open("suppliers/?sort=spend", "main table")
    codes = []
    for href in shooter.hrefs("main table tbody a[href^='/suppliers/']"):
        match = re.match(r"^/suppliers/([^/?]+)/", href or "")
        if match and match.group(1) not in codes:
            codes.append(match.group(1))
    page = shooter.page
    for code in codes[:tries]:
        if code in exclude:
            continue
        shooter.open(f"suppliers/{code}/", "section[aria-labelledby=scorecard-h]")
        full = page.locator("section[aria-labelledby=scorecard-h] h3").count() >= 3
        history = page.locator("section[aria-labelledby=history-h] tbody tr").count() >= 2
        audits = page.locator("section[aria-labelledby=audits-h] tbody tr").count() >= 1
        tab = page.locator("nav.tabs a[href*='findings']")
        open_findings = tab.count() and int((re.findall(r"\d+", tab.first.inner_text()) or ["0"])[0]) > 0
        if full and history and audits and open_findings:
            return code
    raise ScreenshotError("no supplier with a full scorecard, history, audits and open findings "
                          "among the largest suppliers: is the demo data loaded (make run)?")


def finding_with_cap(shooter: Shooter) -> str:
    """A finding whose corrective action plan has content: awaiting review first."""
    for state in ("submitted", "approved", "implemented", "rejected"):
        shooter.open(f"findings/?status=all&cap_state={state}", "main h1")
        refs = shooter.hrefs("main table tbody a[href^='/findings/']")
        if refs:
            return refs[0]
    raise ScreenshotError("no finding with a submitted/approved corrective action plan in the demo data")


def latest_run(shooter: Shooter) -> str:
    shooter.open("scorecard/runs/", "main h1")
    runs = [h for h in shooter.hrefs("main table tbody a[href^='/scorecard/runs/']")
            if re.match(r"^/scorecard/runs/\d+/$", h or "")]
    if not runs:
        raise ScreenshotError("no recalculation run yet: the demo data runs two (make run)")
    return max(runs, key=lambda h: int(h.rstrip("/").rsplit("/", 1)[1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--supplier", help="supplier code for supplier.png (default: picked automatically)")
    parser.add_argument("--analyst", default=f"analyst:{LOGINS['analyst']}", help="login:password")
    parser.add_argument("--supplier-login", default=f"supplier:{LOGINS['supplier']}", help="login:password")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(NAMES)}")
    args = parser.parse_args(argv)
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    if only - set(NAMES):
        parser.error(f"unknown screenshot(s): {', '.join(sorted(only - set(NAMES)))}")
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.url.rstrip("/")
    analyst = args.analyst.split(":", 1)
    supplier_login = args.supplier_login.split(":", 1)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="en-US",
                                          device_scale_factor=1)
            page = context.new_page()
            shooter = Shooter(page, base, args.out, only)

            # The supplier's own code first, so the procurement view shows another supplier.
            login(page, base, *supplier_login)
            set_language(page, "en")
            own = own_supplier_code(page, base)
            if not own:
                raise ScreenshotError(f"{supplier_login[0]!r} is not a supplier user (home did not "
                                      f"redirect to its supplier page: {page.url})")

            login(page, base, *analyst)
            set_language(page, "en")
            shooter.shoot("dashboard", "dashboard/", "main h1")
            shooter.shoot("trends", "dashboard/trends/", "main h1")
            shooter.shoot("suppliers", "suppliers/?sort=spend", "main table")
            if not only or "supplier" in only:
                code = args.supplier or rich_supplier(shooter, exclude={own})
                shooter.shoot("supplier", f"suppliers/{code}/", "section[aria-labelledby=history-h]",
                              open_history)
            shooter.shoot("audits", "audits/", "main table")
            shooter.shoot("findings", "findings/", "main table")
            if not only or "finding" in only:
                shooter.shoot("finding", finding_with_cap(shooter), "main h1")
            shooter.shoot("scorecard-values", "scorecard/values/", "main h1")
            if not only or "recalculation" in only:
                shooter.shoot("recalculation", latest_run(shooter), "main h1")

            login(page, base, *supplier_login)
            set_language(page, "en")
            shooter.shoot("supplier-self-service", f"suppliers/{own}/", "section[aria-labelledby=scorecard-h]",
                          open_history)
            if not only or "supplier-zh" in only:
                shooter.open(f"suppliers/{own}/", "main h1")
                set_language(page, "zh-hans")
                shooter.shoot("supplier-zh", f"suppliers/{own}/", "html[lang^=zh] section[aria-labelledby=scorecard-h]",
                              open_history)
                set_language(page, "en")  # leave the demo user's language as it was
        finally:
            browser.close()
    print(f"{len(shooter.written)} screenshot(s) written to {args.out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ScreenshotError as exc:
        print(f"screenshots: {exc}", file=sys.stderr)
        sys.exit(1)
    except PlaywrightError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        print(f"screenshots: {first_line}\n(is the portal running with the demo data? `make run`)", file=sys.stderr)
        sys.exit(1)
