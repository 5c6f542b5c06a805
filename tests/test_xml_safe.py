"""The hardened XML stream: entities refused, external DTDs never fetched, cut files refused."""

from __future__ import annotations

import gzip

import pytest

from pipelines.errors import FileRefused
from pipelines.readers.xml_safe import iter_elements, root_tag

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">]><r><a>&lol2;</a></r>'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    b"<r><a>&x;</a></r>"
)
BARE_DOCTYPE = (
    b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r><a>1</a><a>2</a></r>'
)


def _texts(path):
    return [e.text for e in iter_elements(path, "a")]


@pytest.mark.parametrize("doc", [BOMB, EXTERNAL_ENTITY], ids=["billion-laughs", "external"])
def test_declared_entities_are_refused(tmp_path, doc):
    path = tmp_path / "flux.xml"
    path.write_bytes(doc)
    with pytest.raises(FileRefused, match=r"flux\.xml : le document déclare des entités"):
        _texts(path)


def test_bare_external_doctype_is_ignored_not_fetched(tmp_path):
    path = tmp_path / "flux.xml"
    path.write_bytes(BARE_DOCTYPE)  # port 9 on loopback: a fetch would fail loudly
    assert _texts(path) == ["1", "2"]


def test_encoding_from_declaration_and_gzip(tmp_path):
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><r><a>é</a><a>ç</a></r>'.encode("latin-1")
    path = tmp_path / "flux.xml.gz"
    path.write_bytes(gzip.compress(doc))
    assert _texts(path) == ["é", "ç"]
    assert root_tag(path) == "r"


def test_cut_document_is_refused_with_line_and_no_value(tmp_path):
    path = tmp_path / "flux.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<r>\n<a>SECRET-VALUE</a>\n<a>SECR')
    with pytest.raises(FileRefused) as err:
        _texts(path)
    message = str(err.value)
    assert message.startswith("flux.xml : XML mal formé ou fichier tronqué (ligne 4)")
    assert "SECR" not in message


def test_cut_gzip_is_refused_with_file_name(tmp_path):
    path = tmp_path / "flux.xml.gz"
    doc = b"<r>" + b"".join(b"<a>%d</a>" % i for i in range(50_000)) + b"</r>"
    packed = gzip.compress(doc)
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(FileRefused, match=r"flux\.xml\.gz : (archive gzip|XML mal formé)"):
        _texts(path)


def test_memory_is_released_as_the_stream_runs(tmp_path):
    path = tmp_path / "flux.xml"
    path.write_bytes(b"<r>" + b"<a>1</a>" * 200_000 + b"</r>")
    sizes = []
    for element in iter_elements(path, "a"):
        sizes.append(len(element.getparent()))
    assert len(sizes) == 200_000
    assert max(sizes) < 20_000  # only the parser's read-ahead stays; read elements are dropped


def test_not_xml_has_no_root_tag(tmp_path):
    path = tmp_path / "pecgm.txt"
    path.write_text("E PECG M 2A  20261001\n")
    assert root_tag(path) is None


def test_top_level_records_keep_same_named_elements_nested_inside(tmp_path):
    from pipelines.readers.xml_safe import iter_top_level

    path = tmp_path / "flux.xml"
    path.write_bytes(b"<r><h>1</h><d><x><d>inner</d></x></d><d><x>2</x></d><f>3</f></r>")
    seen = [(e.tag, len(e.findall(".//d"))) for e in iter_top_level(path, ("h", "d", "f"))]
    assert seen == [("h", 0), ("d", 1), ("d", 0), ("f", 0)]


def test_top_level_refuses_declared_entities_even_when_no_record_matches(tmp_path):
    from pipelines.readers.xml_safe import iter_top_level

    path = tmp_path / "flux.xml"
    path.write_bytes(BOMB)
    with pytest.raises(FileRefused, match="déclare des entités"):
        list(iter_top_level(path, ("nothing",)))
