"""France Travail's partner APIs: the HTTP client (`client.py`) and the collection of the
DE status and diagnostic constraints of a département's beneficiaries (`collecte.py`)."""
