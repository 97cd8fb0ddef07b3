"""Side files of the release: the BIOSCAN-1M index and the crop measures
(docs/curation.md#release-format)."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.release import sidecars

#: A real BIOSCAN-1M metadata file (byte-exact copy; tests/data/README.md).
REAL_BIOSCAN1M = (
    Path(__file__).resolve().parents[1]
    / "data"
    / "real"
    / "bioscan"
    / "bioscan1m_small_dataset_validation_metadata.tsv"
)

#: Real BIOSCAN-5M records (bioscan-ml/bioscan-browser public/sample-records.json, copied to
#: tests/data/real/bioscan/; see tests/data/README.md): Solr ENVELOPE(minX, maxX, maxY,
#: minY) crop box on a 1024 x 768 original, and the released cropped_area_fraction and
#: cropped_scale_factor.  Our computation must reproduce all 25.
REAL_BOXES = """\
CRCBB46471-23 339 533 493 208 0.0703 0.7578
ASMII953-22 481 731 333 129 0.0648 0.7969
CIOSB39011-23 515 831 513 231 0.1133 1.1016
GMBDE1823-23 380 630 759 78 0.2165 0.9766
EMPUL15998-22 520 667 438 364 0.0138 0.2891
GMARX6109-21 123 741 691 153 0.4228 2.1016
GMMVA18490-22 144 853 548 119 0.3868 1.6758
GMODL10781-23 428 570 320 89 0.0417 0.5547
GMSPA26892-22 372 524 341 130 0.0408 0.5938
GMPXB7945-23 456 575 503 380 0.0186 0.4648
GMNNL1241-23 378 793 575 154 0.2222 1.6211
GMPPO5563-21 208 554 634 247 0.1703 1.3516
GMLCL2156-23 562 831 457 248 0.0715 0.8164
GMEEO6589-21 316 734 688 29 0.3503 1.6328
LPKIL3701-22 327 581 553 324 0.074 0.8945
PERMM4048-23 318 730 580 162 0.219 1.6094
LPUAD2112-22 266 449 631 177 0.1056 0.7148
HELAC19669-21 317 761 680 72 0.3433 1.7344
GMPVA8886-23 442 628 497 228 0.0636 0.7266
SAKZA7319-23 324 541 456 308 0.0408 0.5781
GMVNA17496-21 304 932 742 0 0.5925 2.4531
THAMG6079-23 321 550 520 262 0.0751 0.8945
TMGHA25178-22 413 766 579 271 0.1382 1.2031
TRIHM17957-23 447 642 558 258 0.0744 0.7617
TSMTA5761-22 730 837 206 67 0.0189 0.418
"""


def write_boxes(path, lines, separator=","):
    header = separator.join(sidecars.BOX_COLUMNS)
    path.write_text("\n".join([header, *(separator.join(map(str, line)) for line in lines)]) + "\n")
    return path


def test_crop_measures_reproduce_the_released_values(tmp_path):
    lines, expected = [], {}
    for row in REAL_BOXES.splitlines():
        pid, min_x, max_x, max_y, min_y, area, scale = row.split()
        lines.append((pid, 1024, 768, min_x, min_y, max_x, max_y))
        expected[pid] = (float(area), float(scale))
    measures = sidecars.crop_measures(
        sidecars.read_bounding_boxes(write_boxes(tmp_path / "b.tsv", lines, "\t"))
    )
    assert {pid: (a, s) for pid, a, s in measures.iter_rows()} == expected


def test_crop_measures_round_exact_ties_half_to_even():
    # 1/32 = 0.03125 and 24/256 = 0.09375 are exact binary ties at 4 decimals: half to even gives
    # 0.0312 and 0.0938 (half up would give 0.0313).
    boxes = pl.DataFrame(
        {
            "processid": ["A", "B"],
            "width_original": [32.0, 256.0],
            "height_original": [1.0, 256.0],
            "x0": [0.0, 0.0],
            "y0": [0.0, 0.0],
            "x1": [1.0, 8.0],
            "y1": [1.0, 24.0],
        }
    )
    measures = sidecars.crop_measures(boxes)
    assert measures["area_fraction"].to_list() == [0.0312, np.round(8 * 24 / 256**2, 4)]
    assert measures["scale_factor"].to_list() == [0.0039, 0.0312]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 4000),
            st.integers(1, 4000),
            st.integers(0, 4000),
            st.integers(0, 4000),
            st.integers(0, 4000),
            st.integers(0, 4000),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_crop_measures_are_four_decimal_and_ordered_by_processid(boxes):
    frame = pl.DataFrame(
        [
            (f"P{i:02d}", w, h, min(a, b), min(c, d), max(a, b), max(c, d))
            for i, (w, h, a, b, c, d) in enumerate(boxes)
        ],
        schema={c: (pl.String if c == "processid" else pl.Float64) for c in sidecars.BOX_COLUMNS},
        orient="row",
    )
    measures = sidecars.crop_measures(frame.reverse())
    assert measures["processid"].to_list() == sorted(frame["processid"])
    for column in ("area_fraction", "scale_factor"):
        values = measures[column].to_numpy()
        assert np.array_equal(values, np.round(values, 4))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (("A-1", "x", 768, 0, 0, 10, 10), r"line 2, field width_original: 'x' is not a number"),
        (
            ("A-1", 1024, "", 0, 0, 10, 10),
            r"line 2, field height_original: an empty field is not a number",
        ),
        (("A-1", 0, 768, 0, 0, 10, 10), r"line 2, field width_original: invalid value 0.0"),
        (
            ("A-1", 1024, 768, 20, 0, 10, 10),
            r"line 2, field x1: invalid value 10.0 \(needs x1 >= x0\)",
        ),
    ],
)
def test_bad_boxes_name_file_line_and_field(tmp_path, line, message):
    path = write_boxes(tmp_path / "boxes.csv", [line])
    with pytest.raises(sidecars.SideFileError, match=message) as err:
        sidecars.read_bounding_boxes(path)
    assert str(path) in str(err.value)


def test_a_processid_boxed_twice_is_an_error(tmp_path):
    path = write_boxes(
        tmp_path / "boxes.csv", [("A-1", 10, 10, 0, 0, 1, 1), ("A-1", 10, 10, 0, 0, 2, 2)]
    )
    with pytest.raises(
        sidecars.SideFileError, match=r"line 3, field processid: invalid value 'A-1'"
    ):
        sidecars.read_bounding_boxes(path)


def test_a_box_file_without_the_columns_is_an_error(tmp_path):
    path = tmp_path / "boxes.csv"
    path.write_text("processid,x0\nA,1\n")
    with pytest.raises(
        sidecars.SideFileError, match=r"line 1 \(header\) lacks the columns width_original"
    ):
        sidecars.read_bounding_boxes(path)


def test_bioscan1m_index_is_the_0_based_data_row(tmp_path):
    path = tmp_path / "bioscan1m.tsv"
    path.write_text('processid\tspecies\nP0\t"Aus\nP1\tBus bus\n\tCus\nP3\t\nP1\tlater duplicate\n')
    index = sidecars.bioscan1m_index(sidecars.read_bioscan1m_processids(path))
    # An unbalanced quote does not swallow lines; a duplicate points at its first row.
    assert dict(index.iter_rows()) == {"P0": 0, "P1": 1, "P3": 3}


def test_real_bioscan1m_file_gives_unique_positions():
    path = REAL_BIOSCAN1M
    if not path.exists():
        pytest.skip(f"real data not on this machine: {path}")
    index = sidecars.bioscan1m_index(sidecars.read_bioscan1m_processids(path))
    assert index.height == 8273  # PROVENANCE.md: 8,273 data rows, one per specimen
    assert index["index_bioscan_1M_insect"].sort().to_list() == list(range(8273))
    assert (
        index.filter(pl.col("processid") == "PLECF2633-20")["index_bioscan_1M_insect"].item() == 0
    )


def test_a_bioscan1m_file_without_processid_is_an_error(tmp_path):
    path = tmp_path / "bioscan1m.tsv"
    path.write_text("id\tspecies\nP0\tAus\n")
    with pytest.raises(
        sidecars.SideFileError, match=r"bioscan1m.tsv: line 1 \(header\) has no 'processid'"
    ):
        sidecars.read_bioscan1m_processids(path)
