"""Collects the benchmark reports in docs/performance/*.md into docs/performance.md.

Each benchmark writes its own part (with machine and date); this makes the one page readers
look for. Run after any benchmark: ``.venv/bin/python bench/merge_performance.py``.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
ORDER = ["codes-verify", "revindex", "camera", "lowpower", "readers-cards", "sync", "upload",
         "attack", "printcard-wedge"]


def main() -> None:
    parts = sorted((DOCS / "performance").glob("*.md"),
                   key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    out = [
        "# passkiosk performance\n",
        "Benchmarks live in `bench/` and are run on demand, never as timed test assertions. Each",
        "section below is written by its benchmark (`docs/performance/<part>.md`, with the machine",
        "and date it ran on) and collected here by `bench/merge_performance.py`.\n",
    ]
    out += [f"- [{p.stem}](#{p.stem})" for p in parts]
    for p in parts:
        body = p.read_text(encoding="utf-8").strip()
        # Demote the part's headings one level so the page has a single top heading.
        body = "\n".join("#" + line if line.startswith("#") else line for line in body.splitlines())
        out += ["", f'<a id="{p.stem}"></a>', "", body]
    (DOCS / "performance.md").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
