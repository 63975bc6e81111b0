"""RQ job functions: thin entry points that take ids and call the services.

Queues, job ids and enqueuing live in `exstrat_app.infra.queue`; the job paths the services
enqueue are named there too (`JOB_PATHS`), so no service imports this package.
"""
