"""Write one benchmark's section of docs/benchmarks.md, keeping every other section."""

from __future__ import annotations

from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def replace_section(title: str, section: str) -> None:
    """Replace the section headed `title` (a "## ..." line) with `section`, or append it."""
    text_now = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    start = text_now.find(title + "\n")
    if start == -1:
        new = text_now.rstrip("\n") + "\n\n" + section
    else:
        end = text_now.find("\n## ", start + len(title))
        tail = text_now[end + 1 :] if end != -1 else ""
        new = text_now[:start] + section + ("\n" + tail if tail else "")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(new, encoding="utf-8")
