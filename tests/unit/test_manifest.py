"""The MANIFEST: checksums and row counts that are right, and text that is stable between builds."""

import dataclasses
import hashlib

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.release import manifest

TOOLS = {"python": "3.11.7", "polars": "2.1.0"}


def render(files, inputs=(), config_sha256="c" * 64):
    return manifest.render(
        name="rel",
        version="1.0.0",
        config_sha256=config_sha256,
        files=files,
        inputs=inputs,
        tools=TOOLS,
    )


def test_entry_has_sha256_size_and_rows(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text('a,b\n1,"two\nlines"\n3,x\n')
    parquet = tmp_path / "t.parquet"
    pl.DataFrame({"a": range(5)}).write_parquet(parquet)
    text = tmp_path / "notes.md"
    text.write_text("# notes\n")
    entries = {p.name: manifest.entry(p, p.name) for p in (csv, parquet, text)}
    assert entries["t.csv"].sha256 == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert entries["t.csv"].size == csv.stat().st_size
    assert entries["t.csv"].rows == 2  # the quoted newline is inside a field
    assert entries["t.parquet"].rows == 5
    assert entries["notes.md"].rows is None


def test_measured_entries_stand_in_for_hashing_and_name_the_file_as_listed(tmp_path, staging):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n2\n")
    other = tmp_path / "other.md"
    other.write_text("# other\n")
    sidecar = tmp_path / "checksums.json"
    manifest.save_measured([manifest.measure(data, rows=2)], sidecar)
    measured = manifest.load_measured(sidecar)
    listed = manifest.entries([("csv/data.csv", data), ("other.md", other)], measured)
    assert listed == [
        manifest.Entry("csv/data.csv", hashlib.sha256(data.read_bytes()).hexdigest(), 6, 2),
        manifest.entry(other, "other.md"),
    ]


def test_a_file_changed_after_it_was_measured_is_refused(tmp_path, staging):
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    sidecar = tmp_path / "checksums.json"
    manifest.save_measured([manifest.measure(data, rows=1)], sidecar)
    data.write_text("a\n1\n2\n")
    with pytest.raises(ValueError, match="changed after it was checksummed"):
        manifest.load_measured(sidecar)


def test_sha256_of_a_large_file_is_read_in_pieces(tmp_path):
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 10_000  # 2.5 MiB: more than one piece
    path.write_bytes(data)
    assert manifest.sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_render_lists_sorted_sections_without_timestamps():
    files = [
        manifest.Entry("stats/table2.csv", "b" * 64, 10, 9),
        manifest.Entry("metadata/croissant.json", "a" * 64, 20, None),
    ]
    text = render(files, [manifest.Entry("input/export.tsv", "d" * 64, 30)])
    lines = text.splitlines()
    assert lines[1:4] == ["release\trel", "version\t1.0.0", f"config_sha256\t{'c' * 64}"]
    body = text.split("[files]")[1].splitlines()
    assert body[1] == f"{'a' * 64}\t20\t-\tmetadata/croissant.json"
    assert body[2] == f"{'b' * 64}\t10\t9\tstats/table2.csv"
    assert f"{'d' * 64}\t30\tinput/export.tsv" in text
    assert "polars\t2.1.0" in text and text.endswith("\n")


entries = st.lists(
    st.builds(
        manifest.Entry,
        path=st.text(alphabet="abcdef/._", min_size=1, max_size=12),
        sha256=st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
        size=st.integers(0, 10**9),
        rows=st.one_of(st.none(), st.integers(0, 10**7)),
    ),
    unique_by=lambda e: e.path,
    max_size=10,
)


@given(entries, st.randoms())
def test_render_does_not_depend_on_the_order_files_are_given(files, random):
    shuffled = list(files)
    random.shuffle(shuffled)
    assert render(shuffled) == render(files)


@given(entries.filter(bool))
def test_any_changed_checksum_changes_the_manifest(files):
    other = "f" * 64 if files[0].sha256 != "f" * 64 else "0" * 64
    changed = [dataclasses.replace(files[0], sha256=other), *files[1:]]
    assert render(changed) != render(files)


def test_config_digest_is_canonical():
    a = {"release": {"name": "x", "version": "1"}, "shards": 1}
    b = {"shards": 1, "release": {"version": "1", "name": "x"}}
    assert manifest.config_digest(a) == manifest.config_digest(b)
    assert manifest.config_digest(a) != manifest.config_digest({**a, "shards": 2})


def test_tool_versions_name_every_tool():
    versions = manifest.tool_versions()
    assert set(versions) == {"python", *manifest.TOOLS}
    assert versions["polars"] == pl.__version__
