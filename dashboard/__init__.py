"""What every page shares: warehouse access, formats, charts, filters. Pages stay thin."""
