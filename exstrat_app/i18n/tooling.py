"""The catalogs' three chores, by Babel's API (docs/translations.md):

python -m exstrat_app.i18n.tooling extract   # source -> each locale's .po (keeps translations)
python -m exstrat_app.i18n.tooling check     # 0 missing, 0 untranslated, 0 fuzzy, same {names}
python -m exstrat_app.i18n.tooling compile   # .po -> .mo (`make catalogs`)
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from exstrat_app.i18n.catalog import DOMAINS, LOCALE_DIR, LOCALES

ROOT = Path(__file__).resolve().parents[2]
# Which sources write each domain's words.
SOURCES = {
    "pages": ("exstrat_app/pages",),
    "states": ("exstrat_app/state",),
    "messages": (
        "exstrat_app/services", "exstrat_app/api", "exstrat_app/domain", "exstrat_app/demo",
        "exstrat_app/runtime", "exstrat_app/infra", "jobs",
    ),
}  # fmt: skip
KEYWORDS = {"_": None, "gettext": None, "N_": None, "T": None, "Msg": None, "ngettext": (1, 2)}
TRANSLATED = [l for l in LOCALES if l != "en"]  # noqa: E741
_NAMES = re.compile(r"\{(\w+)")


def template(domain: str) -> Catalog:
    catalog = Catalog(project="exstrat", domain=domain)
    for folder in SOURCES[domain]:
        path = ROOT / folder
        if not path.exists():
            continue
        found = extract_from_dir(
            str(path), method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("i18n:",)
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message, locations=[(f"{folder}/{filename}", lineno)],
                auto_comments=comments, context=context,
            )  # fmt: skip
    return catalog


def po_path(locale: str, domain: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def _read(path: Path, locale: str, domain: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=locale, domain=domain, project="exstrat")
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=domain)


def extract() -> None:
    for domain in DOMAINS:
        tmpl = template(domain)
        for locale in TRANSLATED:
            path = po_path(locale, domain)
            catalog = _read(path, locale, domain)
            catalog.update(tmpl, no_fuzzy_matching=True, update_header_comment=False)
            catalog.obsolete.clear()
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, include_lineno=False, sort_output=True)
            print(f"{path.relative_to(ROOT)}: {len(catalog)} messages")


def _ids(catalog: Catalog) -> Iterable[str]:
    for message in catalog:
        if message.id:
            yield message.id if isinstance(message.id, str) else message.id[0]


def problems(domain: str, locale: str) -> list[str]:
    tmpl = template(domain)
    catalog = _read(po_path(locale, domain), locale, domain)
    found: list[str] = []
    for message in tmpl:
        if not message.id:
            continue
        done = catalog.get(message.id, context=message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if done is None:
            found.append(f"missing: {key!r}")
        elif not done.string or (isinstance(done.string, tuple) and not all(done.string)):
            found.append(f"untranslated: {key!r}")
        elif done.fuzzy:
            found.append(f"fuzzy: {key!r}")
        else:
            texts = done.string if isinstance(done.string, tuple) else (done.string,)
            wanted = set(_NAMES.findall(key))
            for text in texts:
                if set(_NAMES.findall(text)) - wanted - {"n"}:
                    found.append(f"placeholders differ: {key!r} -> {text!r}")
    extra = set(_ids(catalog)) - set(_ids(tmpl))
    found += [f"no longer in the source (run extract): {key!r}" for key in sorted(extra)]
    return found


def check() -> int:
    failed = 0
    for domain in DOMAINS:
        for locale in TRANSLATED:
            found = problems(domain, locale)
            count = sum(1 for _ in _ids(template(domain)))
            print(f"{locale}/{domain}: {count} messages, {len(found)} problems")
            for line in found[:200]:
                print("  " + line)
            failed += len(found)
    return 1 if failed else 0


def compile_all() -> None:
    for domain in DOMAINS:
        for locale in TRANSLATED:
            path = po_path(locale, domain)
            if path.exists():
                catalog = _read(path, locale, domain)
                partial = path.with_suffix(f".mo.{os.getpid()}")
                with partial.open("wb") as handle:
                    write_mo(handle, catalog, use_fuzzy=False)
                partial.replace(path.with_suffix(".mo"))  # a reader never sees half a file


def fill(paths: list[str]) -> None:
    """Set the French of every message named in the JSON files ({"English": "French"})."""
    wanted: dict[str, str] = {}
    for name in paths:
        wanted.update(json.loads(Path(name).read_text(encoding="utf-8")))
    for domain in DOMAINS:
        for locale in TRANSLATED:
            path = po_path(locale, domain)
            catalog = _read(path, locale, domain)
            changed = 0
            for message in catalog:
                key = message.id if isinstance(message.id, str) else (message.id or ("",))[0]
                if not key or key not in wanted:
                    continue
                text = wanted[key]
                if isinstance(message.id, tuple):  # plural: "one|other" in the JSON
                    forms = tuple(text.split("|")) if "|" in text else (text, text)
                    message.string = forms
                else:
                    message.string = text
                message.flags.discard("fuzzy")
                changed += 1
            with path.open("wb") as handle:
                write_po(handle, catalog, width=100, include_lineno=False, sort_output=True)
            print(f"{path.relative_to(ROOT)}: {changed} filled")


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "check":
        return check()
    elif command == "compile":
        compile_all()
    elif command == "fill":
        fill(argv[2:])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
