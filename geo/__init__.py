"""The spatial library: jurisdictions and cells, importing, generating and validating grids,
the point → cell index, datum conversion. Imports nothing of ours."""
