"""The background work, one set of plain functions for every deployment: the webhook relay (``relay``), the notices
on a schedule and as koko's events make them due (``notices``), export jobs and their expiry (``exports``).

Who runs them is a setting, ``KOKO_API_WORKERS``: ``thread`` (the default on sled: a thread inside the API server,
``thread.py``), ``celery`` (the default on PostgreSQL: Celery workers and Celery beat, ``bookstore.tasks``) or
``off``. Several workers never do the same work twice: the notices run under a lease (``lease.py``), the relay takes
each webhook's lease, and an export job is claimed with one conditional UPDATE before it runs — all in Django's
database (SQLite or PostgreSQL), none in Redis.
"""
