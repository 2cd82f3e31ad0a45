"""A one-line progress bar for management commands, drawn only on a terminal."""
import time

from django.core.management.base import OutputWrapper


class ProgressBar:
    """Redraw "label [#####-----] done/total" in place on stream, at most ten times a second.

    On anything but a terminal (cron, a pipe, a log file) it draws nothing: the command prints
    plain lines instead, so logs do not fill with carriage returns.
    """

    width = 30
    interval = 0.1

    def __init__(self, stream, total: int, label: str):
        self.stream = stream
        self.total = total
        self.label = label
        self.done = 0
        self.enabled = _is_terminal(stream)
        self._drawn_at = 0.0

    def advance(self, count: int = 1) -> None:
        """Count count more items done and redraw if enough time has passed."""
        self.done += count
        now = time.monotonic()
        if self.enabled and (now - self._drawn_at >= self.interval or self.done >= self.total):
            self._drawn_at = now
            self._draw()

    def finish(self) -> None:
        """Draw the final state and move to a new line."""
        if self.enabled:
            self._draw()
            self._write("\n")

    def _draw(self) -> None:
        share = self.done / self.total if self.total else 1.0
        filled = int(self.width * share)
        bar = "#" * filled + "-" * (self.width - filled)
        self._write(f"\r{self.label} [{bar}] {self.done}/{self.total} {share:4.0%}")

    def _write(self, text: str) -> None:
        # A command's OutputWrapper would end every redraw with a newline unless told not to.
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")
        else:
            self.stream.write(text)
        self.stream.flush()


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
