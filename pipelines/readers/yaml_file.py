"""The product's YAML files (layouts, templates, mapping files, drift rules), parsed by
libyaml when PyYAML has it.

PyYAML's pure-Python parser takes about 20 ms for one template: the three parcours
templates cost a check of a small file more than its checks. The C parser builds the
same objects (same safe constructor: no Python object from a file, mapping files
included).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str) -> Any:
    """The content of a YAML file (UTF-8), as `yaml.safe_load` reads it."""
    return parse_yaml(Path(path).read_text(encoding="utf-8"))


def parse_yaml(text: str) -> Any:
    """YAML text, as `yaml.safe_load` reads it."""
    return yaml.load(text, Loader=_LOADER)
