"""Use cases (functions with keyword-only dependencies) and the adapters they use."""
