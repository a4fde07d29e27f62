"""Watch a browser tab for what a page must never do: dialogs, CSP violations, script echoes."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# Script-bearing markup and attributes in the live DOM; none of them may exist on any page.
# Components are registered by name (x-data="toggle"), so an x-data holding anything else
# means a value reached an Alpine expression.
DOM_PROBLEMS_JS = """
() => {
  const bad = [];
  const urlAttrs = ["href", "src", "action", "formaction", "xlink:href", "data"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (tag === "script" && !el.src && el.type !== "application/json") bad.push("inline <script>");
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value.trim().toLowerCase();
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      if (name.startsWith("hx-on")) bad.push(`${tag}[${name}] (hx-on runs inline script)`);
      if (urlAttrs.includes(name) && value.startsWith("javascript:")) bad.push(`${tag}[${name}=javascript:]`);
      if (name === "x-data" && !/^([A-Za-z_$][\\w$]*)?$/.test(a.value.trim()))
        bad.push(`${tag}[x-data=${a.value.trim().slice(0, 60)}] (not a registered component)`);
    }
  }
  return [...new Set(bad)];
}
"""

# After a page loads, htmx may still be fetching fragments (hx-trigger="load").
HTMX_IDLE_JS = "() => !document.querySelector('.htmx-request')"


class Probe:
    """Collects, for one tab, everything that shows a payload ran or a policy was broken."""

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base = base_url
        self.problems: list[str] = []
        self.expected_confirms: set[str] = set()
        self.accept_confirms = False  # what to answer an expected confirm
        self._responses: list[Any] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._add(f"uncaught script error: {error}"))
        page.on("response", self._keep)

    def _keep(self, response: Any) -> None:
        self._responses.append(response)

    def _add(self, text: str) -> None:
        self.problems.append(f"{text} — at {self.page.url}")

    def _dialog(self, dialog: Any) -> None:
        expected = dialog.type == "confirm" and dialog.message in self.expected_confirms
        if not expected:
            self._add(f"{dialog.type} dialog opened: {dialog.message!r}")
        if expected and self.accept_confirms:
            dialog.accept()
        else:
            dialog.dismiss()

    def _console(self, message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Alpine" in text:
            self._add(f"console {message.type}: {text[:300]}")
        elif message.type == "error" and not text.startswith("Failed to load resource"):
            self._add(f"console error: {text[:300]}")

    def settle(self) -> None:
        """Wait until htmx has no request in flight."""
        self.page.wait_for_function(HTMX_IDLE_JS, timeout=10_000)

    def check(self, payload: str | None, where: str) -> None:
        """Check the DOM now and every response body received since the last check."""
        for problem in self.page.evaluate(DOM_PROBLEMS_JS):
            self._add(f"{where}: {problem}")
        responses, self._responses[:] = list(self._responses), []
        if payload is None:
            return
        for response in responses:
            body = self._body(response)
            if body is None:
                continue
            if any(c in payload for c in "<>\"'") and payload in body:
                self._add(f"{where}: {payload!r} echoed unescaped by {response.url}")
            if "zq49zq" in body:
                self._add(f"{where}: a template evaluated {payload!r} in {response.url}")

    def _body(self, response: Any) -> str | None:
        """The text of an app document or htmx fragment, None for anything else."""
        if not response.url.startswith(self.base) or urlsplit(response.url).path.startswith(
            "/static/"
        ):
            return None
        if response.request.resource_type not in ("document", "xhr", "fetch"):
            return None
        if 300 <= response.status < 400:
            return None
        try:
            return str(response.text())
        except Exception:  # a body the browser no longer holds (e.g. after a redirect)
            return None
