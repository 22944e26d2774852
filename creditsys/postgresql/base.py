"""Django's PostgreSQL backend, with a health check that costs no round trip when nothing happened.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` before the first query of every request that
reuses a connection: on the check API that was a fourth round trip beside the three the answer
needs. An idle connection receives nothing from the server unless the server is ending it (a
restart, ``pg_terminate_backend``, an idle timeout: it sends an error, then closes), so a socket
with nothing to read is usable and the check costs one ``poll``. A socket with data waiting, or a
connection that is not idle, gets Django's ``SELECT 1``. A silently dropped network path is not
seen by either: the query then fails as it would after a ``SELECT 1`` that hangs.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == TransactionStatus.IDLE:
            try:
                poller = select.poll()
                poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
                if not poller.poll(0):
                    return True
            except (OSError, ValueError):
                return False
        return super().is_usable()
