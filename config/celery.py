import os

from celery import Celery
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


class _RedisChannel(kombu_redis.Channel):
    """kombu 5.7's Redis channel, failing with a connection error once its transport is detached.

    When the broker goes away while an acks_late task runs, the worker's consumer collects the
    broken connection (which detaches the transport: ``transport.client = None``) and then closes
    it; closing the channel again tries to hand the unacknowledged message back to Redis, builds a
    new connection pool from ``transport.client.hostname`` and raises AttributeError. That is not
    one of the connection errors the consumer ignores, so the worker logs "Unrecoverable error"
    and hangs in its shutdown, taking no tasks again. A detached channel cannot reach the broker:
    say so with the error kombu and Celery already handle (the restore and, later, the task's ack
    are skipped and logged; an unacknowledged message Redis still holds is delivered again after
    the visibility timeout, and a job is claimed from "queued" only once).
    """

    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise RedisConnectionError("the broker connection of this channel is closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    """The Redis transport with the channel above (settings: CELERY_BROKER_TRANSPORT)."""

    Channel = _RedisChannel


app = Celery("ruecklauf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
