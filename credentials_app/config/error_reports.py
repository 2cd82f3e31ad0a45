"""Error reports that hide sensitive values even with DEBUG on."""
from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Mask sensitive POST fields and variables on every error page and report.

    Django shows them in full while DEBUG is on; an API key must never appear, so the filter is
    always active here.
    """

    def is_active(self, request):
        return True
