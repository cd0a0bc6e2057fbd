"""Refresh the message catalogs after changing texts: `python -m reports.locales.extract`.

Extracts msgids from reports/*.py (`_`, `gettext`, `ngettext`, `N_`) and reports/templates/*.j2 into
messages.pot, then merges them into each language's messages.po (new ids arrive untranslated, gone ids
become obsolete). Translate the new entries in the .po files; the report compiles them when it runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).resolve().parent
PACKAGE = HERE.parent
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
LANGUAGE_FOLDERS = ("en", "zh_CN")


def extract() -> Catalog:
    catalog = Catalog(project="storewatch", charset="utf-8")
    sources = [(p, "python") for p in sorted(PACKAGE.glob("*.py"))]
    sources += [(p, "jinja2.ext:babel_extract") for p in sorted((PACKAGE / "templates").glob("*.j2"))]
    for path, method in sources:
        options = {"extensions": "jinja2.ext.i18n", "trimmed": "false"} if method != "python" else {}
        for lineno, message, comments, context in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            catalog.add(
                message,
                None,
                [(path.relative_to(PACKAGE.parent).as_posix(), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def _strings(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value or "",)


def main() -> int:
    template = extract()
    with (HERE / "messages.pot").open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True)
    for folder in LANGUAGE_FOLDERS:
        po_path = HERE / folder / "LC_MESSAGES" / "messages.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=folder)
        else:
            catalog = Catalog(locale=folder, project="storewatch", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header is maintained here, not a draft
        with po_path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, ignore_obsolete=True)
        missing = [m.id for m in catalog if m.id and folder != "en" and not all(_strings(m.string))]
        print(f"{po_path.relative_to(PACKAGE.parent)}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
