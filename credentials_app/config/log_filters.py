"""Logging filters: one log line per event, whatever text a user slips into it."""
import logging


class EscapeLineBreaks(logging.Filter):
    """Render the message and escape CR and LF in it, so user text cannot forge extra log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "\r" in message or "\n" in message:
            record.msg = message.replace("\r", "\\r").replace("\n", "\\n")
            record.args = ()
        return True


class NoTracebackForRefusals(logging.Filter):
    """Drop the traceback from a 403 warning: a refusal is the app working, not a fault to debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
