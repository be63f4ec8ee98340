from bench.__main__ import _replace_section

REPORT = "# Folio benchmarks\n\nintro\n\n## Speed and memory: old\n\nslow\n\n## Retrieval quality: set\n\nold table\n"


def test_a_rerun_section_replaces_its_old_text_and_the_report_keeps_its_reading_order():
    updated = _replace_section(REPORT, "## Retrieval quality: set\n\nnew table")

    assert "old table" not in updated and "new table" in updated
    assert updated.index("new table") < updated.index("## Speed and memory") < updated.index("slow")
    assert updated.startswith("# Folio benchmarks\n\nintro\n")


def test_a_new_section_is_added_in_its_place():
    updated = _replace_section(REPORT, "## Default sweep: set\n\nrows")

    assert updated.index("## Retrieval quality") < updated.index("## Default sweep") < updated.index("## Speed")
