"""The instance as an operator sees it: whether it can serve (`health`: readiness for a load
balancer, docs/operations.md) and what each of its parts answers (`probes`)."""
