"""The settings table of docs/settings.md, generated from mnist_assets.settings.Settings.

``python -m mnist_assets.settings_docs`` rewrites it; a test fails while the page is stale.
"""

import sys
from pathlib import Path

from mnist_assets.settings import MIB, PACKAGE_DIR, Settings, variable


def table() -> str:
    """The Markdown table of every setting: variable, default, what it is."""
    rows = ["| variable | default | what |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        default = extra.get("shown") or _default_text(field.default)
        rows.append(f"| `{variable(name)}` | {default} | {field.description} |")
    return "\n".join(rows) + "\n"


def _default_text(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int) and value >= MIB and value % MIB == 0:
        return f"{value // MIB} MiB"
    if isinstance(value, int):
        return f"{value:,}" if value >= 10_000 else str(value)
    return f"`{value}`"


TABLE_START, TABLE_END = "<!-- settings table: start -->\n", "<!-- settings table: end -->\n"


def write_table(page: Path) -> None:
    """Replace the table between the markers of ``page`` with :func:`table`."""
    text = page.read_text()
    head, _, rest = text.partition(TABLE_START)
    _, _, tail = rest.partition(TABLE_END)
    page.write_text(head + TABLE_START + table() + TABLE_END + tail)


if __name__ == "__main__":
    page = Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE_DIR.parent / "docs" / "settings.md"
    write_table(page)
