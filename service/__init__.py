"""HTTP service over the three bundles: FastAPI, HTTP only, no ML logic (DESIGN rule 10)."""
