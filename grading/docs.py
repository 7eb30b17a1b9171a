"""Pages rendered from the catalog and the reading list: papers/README.md and notes/README.md."""
from __future__ import annotations

import sys

from grading import ROOT, catalog

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PAPERS = ROOT / "papers" / "papers.toml"


def papers() -> dict:
    return tomllib.loads(PAPERS.read_text(encoding="utf-8"))


def papers_page() -> str:
    cat, entries = catalog.load(), papers()
    cited_by: dict[str, list[str]] = {}
    for e in cat.exercises:
        for key in e.papers:
            cited_by.setdefault(key, []).append(e.id)
    lines = ["# Reading list", "", "Generated from papers/papers.toml by `python -m grading docs`; do not edit by hand.",
             f"{len(entries)} papers, oldest first. *Exercises* name the exercises that cite each one.", ""]
    for key, p in sorted(entries.items(), key=lambda kv: (kv[1].get("year", 0), kv[0])):
        exercises = ", ".join(f"`{x}`" for x in cited_by.get(key, [])) or "notes only"
        lines += [f"- **{p['title']}** — {p['authors']} ({p['year']}), {p.get('venue', '')}. [{key}]({p['url']})",
                  f"  {p['why']} *Exercises:* {exercises}."]
    return "\n".join(lines) + "\n"


def notes_index() -> str:
    lines = ["# Notes", "", "One chapter a phase. Generated from grading/catalog.toml by `python -m grading docs`.", ""]
    for phase in catalog.load().phases:
        notes = ROOT / "notes" / f"{phase.dir}.md"
        if not notes.exists():
            continue
        lines.append(f"## Phase {phase.number}: [{phase.title}]({phase.dir}.md)")
        lines.append("")
        for e in phase.exercises:
            lines.append(f"- [{e.title}]({phase.dir}.md#{e.notes}) — exercise `{e.id}`, {e.points} points, ~{e.minutes} min")
        lines.append("")
    return "\n".join(lines)


PAGES = {ROOT / "papers" / "README.md": papers_page, ROOT / "notes" / "README.md": notes_index}


def render(check: bool = False) -> list[str]:
    """Write the pages; with check=True, only list those that are out of date."""
    stale = []
    for path, make in PAGES.items():
        text = make()
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.write_text(text, encoding="utf-8")
    return stale
