"""Reprise de stock: beneficiaries already oriented when the experimentation began.

Template `layouts/stock.yaml`, checks `expectations/stock.json`, load
`sql/staging/stock.sql`. Sent once per département: a new file replaces every earlier
reprise de stock of the département. Its month, for the journal, is that of its latest
orientation.
"""

from __future__ import annotations

from pipelines.sources.tabular import TabularSource

stock = TabularSource(
    "stock", "orientation", supersede="departement", month_column="date_orientation"
)
