"""Generic machinery every part of a step uses: row tables, counter-based random streams,
result guards and thin Mesa agents. Nothing here knows a cell type or a field."""
