"""axe-core inside a Playwright page: the accessibility check of the browser tests.

axe-core comes from npm (``package.json`` + ``package-lock.json`` at the project root, installed into
``node_modules`` by ``make browser``); nothing is fetched at run time. The script is evaluated through
the DevTools protocol, so the pages' strict Content-Security-Policy (``script-src 'self'``) stays on
and still catches any inline script of our own.

    from tests.axe import assert_accessible, serious_violations
    assert_accessible(page, "citizen page")            # fails with a readable list
    problems = serious_violations(page, include="#log")  # [{id, impact, help, nodes: [...]}, ...]
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")
# WCAG 2.1 A/AA plus axe's best practices (landmarks, one h1, regions): what 适老化 checks ask for
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

_RUN = """async ({ include, tags, disable }) => {
  const rules = Object.fromEntries(disable.map((id) => [id, { enabled: false }]));
  const result = await axe.run(include ? { include: [include] } : document,
    { runOnly: { type: "tag", values: tags }, rules, resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary || "", html: n.html.slice(0, 200) })),
  }));
}"""


def axe_source() -> str:
    """The axe-core script; skips (or fails under ``YICHUANG_REQUIRE_BROWSER``) when not installed."""
    if not AXE_JS.exists():
        message = f"axe-core missing ({AXE_JS.relative_to(ROOT)}): `make browser` runs npm ci"
        if os.environ.get("YICHUANG_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS.read_text(encoding="utf-8")


def inject(page) -> None:
    """Load axe into the page once per document (a navigation needs it again)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;void 0")


def violations(page, *, include: str | None = None, tags=TAGS, disable=()) -> list[dict]:
    """Every violation axe finds in the page (or the part matching the CSS selector ``include``)."""
    inject(page)
    return page.evaluate(_RUN, {"include": include, "tags": list(tags), "disable": list(disable)})


def serious_violations(page, **kwargs) -> list[dict]:
    """Only the violations whose impact is serious or critical."""
    return [v for v in violations(page, **kwargs) if v["impact"] in SERIOUS]


def describe(found: list[dict]) -> str:
    lines = []
    for v in found:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary'].splitlines()[-1] if n['summary'] else n['html']}" for n in v["nodes"][:5])
    return "\n".join(lines)


def assert_accessible(page, what: str = "page", **kwargs) -> None:
    found = serious_violations(page, **kwargs)
    assert not found, f"axe-core: serious/critical violations on the {what}:\n{describe(found)}"
