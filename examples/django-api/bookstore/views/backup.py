"""The store's dump over HTTP (staff): what ``koko --api URL backup|check|export|report`` reads, so the operator's
tools work while this server holds the store."""

from __future__ import annotations

import os
import tempfile

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework.renderers import BaseRenderer, JSONRenderer

from .. import permissions as can
from ..store import get_store
from . import examples as ex
from .base import KokoView, doc, example

DUMP_MEDIA_TYPE = "application/x-ndjson"


class DumpRenderer(BaseRenderer):
    """Lets a client ask for the dump's media type; the dump itself is a file response, not rendered (an error
    stays JSON)."""

    media_type = DUMP_MEDIA_TYPE
    format = "ndjson"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, renderer_context=renderer_context)


@extend_schema_view(
    get=doc(
        "A dump of the whole store, as `koko backup` writes it: one JSON record per line (header, records, end "
        "line with the counts). Writes wait while it is taken (none is refused), so it is one consistent state.",
        {(200, DUMP_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, "The dump, header line first.",
                                                 examples=[example("a small store", ex.DUMP)])},
        tags=["operations"],
    )
)
class StoreBackup(KokoView):
    permission_classes = can.STAFF
    renderer_classes = [JSONRenderer, DumpRenderer]

    def get(self, request):
        # The dump goes to a file that is unlinked as soon as it is open again, and is streamed from that handle:
        # it takes one dump's disk space while the answer is sent, and nothing is left behind if the client goes
        # away or the backup fails.
        fd, path = tempfile.mkstemp(prefix="koko-dump-")
        os.close(fd)
        try:
            get_store().backup(path)
            handle = open(path, "rb")
        finally:
            os.unlink(path)
        response = FileResponse(handle, content_type=f"{DUMP_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="koko.dump"'
        response["Cache-Control"] = "no-store"
        return response
