#!/usr/bin/env python3
"""Makes the .apkg fixtures the Anki import tests read, with Anki's own library (PyPI `anki`).

    python3 scripts/make_anki_fixture.py OUT_DIR

Writes into OUT_DIR:
  fixture.apkg       a legacy package ("Support older Anki versions": collection.anki21 plus
                     Anki's placeholder collection.anki2) with Basic, Basic (and reversed card),
                     Basic (optional reversed card) and Cloze notes, HTML in fields, tags, and
                     notes in a top deck and a subdeck;
  fixture-new.apkg   the same notes in the current format (zstd collection.anki21b only), which
                     GradLab refuses with a one-line fix;
  fixture-notes.txt  the same notes as Anki's "Notes in Plain Text" export (HTML, tags, deck,
                     note type and GUID columns, with Anki's header lines).
The tests assert the notes written here, so change both together.
"""
import os
import sys
import tempfile

from anki.collection import Collection, DeckIdLimit, ExportAnkiPackageOptions


def build(col):
    top = col.decks.id("Anki Fixture")
    sub = col.decks.id("Anki Fixture::Physics::Waves")

    def add(notetype, values, tags, deck):
        note = col.new_note(col.models.by_name(notetype))
        for name, value in values.items():
            note[name] = value
        note.tags = tags
        col.add_note(note, deck)

    add("Basic", {"Front": "What does <b>ReLU</b> output for x &lt; 0?", "Back": "0<br>(its gradient is 0 too)"},
        ["activations", "relu"], top)
    add("Basic (and reversed card)", {"Front": "Glorot&nbsp;initialisation variance", "Back": "2 / (fan_in + fan_out)"},
        ["init"], top)
    add("Basic (optional reversed card)", {"Front": "Wave speed", "Back": "v = f·λ", "Add Reverse": "y"},
        ["physics"], sub)
    add("Basic (optional reversed card)", {"Front": "Période", "Back": "T = 1/f", "Add Reverse": ""},
        ["physics", "français"], sub)
    add("Cloze", {"Text": "<div>The derivative of {{c1::sigmoid}} is at most {{c2::1/4::a fraction}}.</div>",
                  "Back Extra": "σ'(x) = σ(x)(1 − σ(x)) &amp; peaks at x = 0"},
        ["activations"], top)
    add("Cloze", {"Text": "{{c1::Residual}} connections add the identity; {{c1::skip}} paths keep gradients alive.",
                  "Back Extra": ""},
        ["resnet"], sub)
    return top


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        col = Collection(os.path.join(tmp, "fixture.anki2"))
        top = build(col)
        for name, legacy in (("fixture.apkg", True), ("fixture-new.apkg", False)):
            col.export_anki_package(
                out_path=os.path.join(out_dir, name),
                options=ExportAnkiPackageOptions(with_scheduling=False, with_deck_configs=False, with_media=False, legacy=legacy),
                limit=DeckIdLimit(deck_id=top))
        col.export_note_csv(out_path=os.path.join(out_dir, "fixture-notes.txt"), limit=DeckIdLimit(deck_id=top),
                            with_html=True, with_tags=True, with_deck=True, with_notetype=True, with_guid=True)
        col.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
