"""CGPEM: orientation decisions, département -> France Travail (delimited text or .xlsx).

Template `layouts/cgpem.yaml`, checks `expectations/cgpem.json`, load
`sql/staging/cgpem.sql` (NATURE DE L'ACCOMPAGNEMENT -> parcours type through
`nomenclatures/nature_accompagnement.csv`). A file is a batch of decisions: its month is
`--month`, else the month of its latest decision, and a new file for the same département
and month replaces the previous one.
"""

from __future__ import annotations

from pipelines.sources.tabular import TabularSource

cgpem = TabularSource("cgpem", "orientation", supersede="month", month_column="date_orientation")
