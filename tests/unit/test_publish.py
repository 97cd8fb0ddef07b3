"""Publishing a staged release: one switch of a link, versions kept and removed, what is refused."""

import os
from pathlib import Path

import pytest

from curation.release import manifest, publish
from tests.support import staged_in


def stage(directory: Path, files: dict[str, str]) -> Path:
    """A staged release of ``files`` (relative path -> text) and its MANIFEST."""
    for relative, text in files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text)
    entries = manifest.entries([(relative, directory / relative) for relative in files])
    text = manifest.render(
        name="r", version="1", config_sha256="00" * 32, files=entries, inputs=[], tools={}
    )
    (directory / "MANIFEST").write_text(text)
    return directory


@pytest.fixture
def place(tmp_path):
    with staged_in(tmp_path / "staging"):
        yield tmp_path


def test_publishing_links_the_release_to_a_complete_version(place):
    staged = stage(place / "work" / "release", {"README.md": "a", "metadata/m.csv": "x,y\n"})
    link = place / "out" / "bioscan5m"
    version = publish.publish(staged, link, "0.1.0")
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))
    assert link.resolve() == version.resolve() and version.parent.name == "bioscan5m.versions"
    assert version.name.startswith("0.1.0-") and publish.VERSION_NAME.match(version.name)
    assert manifest.verify(link) == [] and (link / "metadata" / "m.csv").read_text() == "x,y\n"
    assert publish.foreign(link) == [] and publish.previous(link) is None


def test_a_rebuild_never_changes_the_files_readers_see(place):
    staged = stage(place / "work", {"m.csv": "old\n"})
    link = place / "bioscan5m"
    publish.publish(staged, link, "1")
    # emit writers replace their files (a new inode), as a rebuild does
    (staged / "m.csv.new").write_text("new contents\n")
    os.replace(staged / "m.csv.new", staged / "m.csv")
    assert (link / "m.csv").read_text() == "old\n" and manifest.verify(link) == []


def test_the_same_release_published_again_changes_nothing(place):
    staged = stage(place / "work", {"m.csv": "a\n"})
    link = place / "bioscan5m"
    first = publish.publish(staged, link, "1")
    assert publish.publish(staged, link, "1") == first
    assert sorted(p.name for p in publish.versions_dir(link).iterdir()) == [first.name]


def test_the_previous_version_stays_and_older_ones_go(place):
    link = place / "bioscan5m"
    published = []
    for n in range(3):
        staged = stage(place / f"work{n}", {"m.csv": f"{n}\n"})
        published.append(publish.publish(staged, link, f"0.{n}"))
    assert publish.current(link) == published[2] and publish.previous(link) == published[1]
    kept = sorted(p.name for p in publish.versions_dir(link).iterdir())
    assert kept == sorted(p.name for p in published[1:])
    assert (publish.previous_link(link) / "m.csv").read_text() == "1\n"


def test_leftovers_of_a_killed_publication_are_removed(place):
    link = place / "bioscan5m"
    versions = publish.versions_dir(link)
    (versions / ".0.1-aaaaaaaaaaaa.x.partial" / "metadata").mkdir(parents=True)
    (versions / ".0.0-bbbbbbbbbbbb.deleting").mkdir()
    (place / ".bioscan5m.123.link").symlink_to("bioscan5m.versions/nothing")
    assert publish.foreign(link) == []
    publish.publish(stage(place / "work", {"m.csv": "a\n"}), link, "0.1")
    assert [p.name for p in versions.iterdir()] == [publish.current(link).name]
    assert not (place / ".bioscan5m.123.link").is_symlink()


def test_a_staged_release_that_disagrees_with_its_manifest_is_not_published(place):
    staged = stage(place / "work", {"m.csv": "a\n"})
    (staged / "m.csv").write_text("longer now\n")
    with pytest.raises(publish.PublishError, match="m.csv: 11 bytes, the MANIFEST says 2"):
        publish.publish(staged, place / "bioscan5m", "1")
    assert not (place / "bioscan5m").exists()


def test_an_empty_directory_in_the_way_is_replaced_a_full_one_is_not(place):
    link = place / "bioscan5m"
    link.mkdir()
    publish.publish(stage(place / "work", {"m.csv": "a\n"}), link, "1")
    assert link.is_symlink()
    other = place / "other"
    (other / "thesis").mkdir(parents=True)
    (other / "thesis" / "chapter1.tex").write_text("years of work")
    assert publish.foreign(other) == [str(other / "thesis" / "chapter1.tex")]
    with pytest.raises(publish.PublishError, match="is a directory with files in it"):
        publish.publish(stage(place / "work2", {"m.csv": "b\n"}), other, "1")
    assert (other / "thesis" / "chapter1.tex").read_text() == "years of work"


def write(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: (p / "bioscan5m").symlink_to("/etc"), "bioscan5m (a link to /etc)"),
        (lambda p: write(p / "bioscan5m.previous"), "bioscan5m.previous"),
        (lambda p: write(p / "bioscan5m.versions" / "notes.txt"), "notes.txt"),
        (lambda p: (p / "bioscan5m.versions" / "photos").mkdir(parents=True), "photos"),
        (lambda p: write(p / "bioscan5m.versions"), "bioscan5m.versions"),
    ],
)
def test_what_no_publication_wrote_is_foreign(place, make, expected):
    make(place)
    found = publish.foreign(place / "bioscan5m")
    assert len(found) == 1 and found[0].endswith(expected), found


def test_a_file_added_to_a_published_version_is_foreign(place):
    link = place / "bioscan5m"
    version = publish.publish(stage(place / "work", {"m.csv": "a\n"}), link, "1")
    (version / "extra.txt").write_text("mine")
    assert publish.foreign(link) == [str(version / "extra.txt")]
