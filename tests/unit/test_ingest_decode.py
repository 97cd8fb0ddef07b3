"""Bytes to text: per-field cp1252 fallback, line access, gzip."""

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.ingest.codes import IngestError
from curation.ingest.decode import (
    C1_CONTROLS,
    R_ESCAPES,
    decode_field,
    open_plain,
    read_lines,
    repair_utf8,
    split_lines,
)


def test_valid_utf8_is_untouched():
    assert decode_field("Gerstäcker – Förster".encode()) == ("Gerstäcker – Förster", [])


def test_stray_cp1252_byte_next_to_real_utf8():
    """The 2018 BOLD v4 case: one field holds both valid UTF-8 and a bare 0x96."""
    text, fallbacks = decode_field("Gerstäcker ".encode() + b"\x96 1853")
    assert text == "Gerstäcker – 1853"
    assert fallbacks == [(b"\x96", "–")]


def test_byte_cp1252_leaves_undefined_becomes_replacement_character():
    assert decode_field(b"a\x81b") == ("a\ufffdb", [(b"\x81", "\ufffd")])


@given(st.binary(max_size=40))
def test_decoding_never_fails_and_keeps_valid_utf8(raw):
    text, fallbacks = decode_field(raw)
    assert isinstance(text, str)
    try:
        assert text == raw.decode("utf-8") and fallbacks == []
    except UnicodeDecodeError:
        assert fallbacks


def test_r_escape_and_c1_tables_use_cp1252():
    assert R_ESCAPES["<96>"] == "–" and C1_CONTROLS["\x96"] == "–"
    assert "<81>" not in R_ESCAPES  # undefined in cp1252: left alone


def test_lone_cr_is_not_a_line_break():
    assert split_lines(b"a\rb\r\nc\nd") == [b"a\rb\r\n", b"c\n", b"d"]


def test_read_lines_returns_raw_lines_with_terminators():
    """Lines are numbered from ``first``: the data of a batch starting at line 2."""
    assert read_lines(b"1\r\n2\n3", 2, [2, 4, 3]) == {2: b"1\r\n", 3: b"2\n", 4: b"3"}
    assert read_lines(b"1\r\n2\n3", 7, [8, 20]) == {8: b"2\n"}


def test_repair_rewrites_only_invalid_fields_and_names_them():
    fixed, issues = repair_utf8(b"\x96x\tok\r\nfine\tline\n", 2, ["a", "b"], "\t")
    assert fixed == "–x\tok\r\nfine\tline\n".encode()
    assert issues == [(2, "a", "0x96 -> '–'")]


def test_gzip_is_decompressed_by_content_not_name(tmp_path):
    packed = tmp_path / "export.txt"
    packed.write_bytes(gzip.compress(b"h\n1\n"))
    assert open_plain(str(packed), tmp_path).read_bytes() == b"h\n1\n"
    plain = tmp_path / "plain.gz"
    plain.write_bytes(b"h\n1\n")
    assert open_plain(str(plain), tmp_path) == plain


def test_truncated_gzip_is_a_clear_error(tmp_path):
    path = tmp_path / "export.tsv.gz"
    path.write_bytes(gzip.compress(b"processid\tnuc\n" * 1000)[:-20])
    with pytest.raises(IngestError, match=r"export\.tsv\.gz: truncated gzip"):
        open_plain(str(path), tmp_path)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(IngestError, match="cannot open"):
        open_plain(str(tmp_path / "absent.tsv"), tmp_path)
