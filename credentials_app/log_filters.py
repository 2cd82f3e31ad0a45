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
