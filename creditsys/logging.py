"""Structured logging: every record carries the request id; JSON lines in production."""

import json
import logging

from . import context


class RequestContextFilter(logging.Filter):
    def filter(self, record):
        ctx = context.current()
        record.request_id = ctx.request_id
        record.actor = ctx.actor
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "actor": getattr(record, "actor", ""),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
