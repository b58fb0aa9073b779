#!/usr/bin/env python3
"""Imports .apkg packages with Anki's own importer and prints what Anki made of them, as JSON.

    python3 scripts/check_anki.py PACKAGE.apkg [MORE.apkg ...]

Every package is imported, in order, into one NEW temporary collection (so importing an edited
re-export second shows whether Anki updates notes or adds copies). Output: per import Anki's log
counts; then the collection's notes (GUID, note type, fields by name, tags, cards with ordinal and
deck), note type names, deck names and counts. Before importing, each package's own
collection is checked against Anki's rules for the derived columns (sort field and checksum),
listed under "derived_mismatches", and opened by Anki and run through its Check Database, whose
findings are listed under "check_database_problems". Needs the PyPI package `anki`.
"""
import json
import os
import sqlite3
import sys
import tempfile
import zipfile

import anki.lang
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.utils import field_checksum, strip_html_media


def derived_mismatches(package, workdir):
    """Notes whose stored sfld/csum differ from what Anki computes from their first field."""
    with zipfile.ZipFile(package) as z:
        name = next(n for n in ("collection.anki21", "collection.anki2") if n in z.namelist())
        path = z.extract(name, workdir)
    db = sqlite3.connect(path)
    out = []
    for guid, flds, sfld, csum in db.execute("select guid, flds, sfld, csum from notes"):
        first = flds.split("\x1f")[0]
        if str(sfld) != strip_html_media(first) or csum != field_checksum(first):
            out.append({"guid": guid, "sfld": sfld, "csum": csum,
                        "anki_sfld": strip_html_media(first), "anki_csum": field_checksum(first)})
    db.close()
    os.remove(path)
    return out


def check_database_problems(package, workdir):
    """What Anki's Check Database reports on the package's own collection, opened as is."""
    with zipfile.ZipFile(package) as z:
        name = next(n for n in ("collection.anki21", "collection.anki2") if n in z.namelist())
        path = z.extract(name, os.path.join(workdir, "raw"))
    col = Collection(path)
    message, _ = col.fix_integrity()
    col.close()
    os.remove(path)
    return [line for line in message.splitlines() if line != "Database rebuilt and optimized."]


def main(packages):
    anki.lang.set_lang("en")   # Anki's text helpers (strip_html) need a language loaded
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(os.path.join(tmp, "check.anki2"))
        stock_decks = {d.name for d in col.decks.all_names_and_ids()}
        mismatches, imports, problems = [], [], []
        for package in packages:
            mismatches += derived_mismatches(package, tmp)
            problems += check_database_problems(package, tmp)
            response = col.import_anki_package(ImportAnkiPackageRequest(
                package_path=os.path.abspath(package), options=ImportAnkiPackageOptions(with_scheduling=False)))
            log = response.log
            imports.append({"new": len(log.new), "updated": len(log.updated), "duplicate": len(log.duplicate),
                            "conflicting": len(log.conflicting), "missing_notetype": len(log.missing_notetype)})
        notes = []
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            cards = [{"ord": c.ord, "deck": col.decks.name(c.did)} for c in sorted(note.cards(), key=lambda c: c.ord)]
            notes.append({"guid": note.guid, "notetype": note.note_type()["name"],
                          "fields": dict(note.items()), "tags": note.tags, "cards": cards})
        used_types = sorted({n["notetype"] for n in notes})
        decks = sorted(d.name for d in col.decks.all_names_and_ids() if d.name not in stock_decks)
        print(json.dumps({"imports": imports, "notes": notes, "notetypes": used_types, "decks": decks,
                          "note_count": col.note_count(), "card_count": col.card_count(),
                          "derived_mismatches": mismatches, "check_database_problems": problems}, ensure_ascii=False, indent=1))
        col.close()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
