"""Export jobs: ``POST /exports/`` queues a CSV export (staff), ``GET /exports/<id>/`` tells its state and progress,
``GET /exports/<id>/file`` answers the CSV once done (409 before, 410 once expired). The background workers run the
jobs (``bookstore.workers.exports``); koko writes the CSV — the columns and rows of ``koko export KIND``."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .. import permissions as can
from ..models import ExportJob
from ..serializers import AwareDateTimeField, ErrorOutput, Serializer
from ..workers import dispatch, exports
from . import examples as ex
from .base import KokoView, doc, example
from .reports import CsvRenderer

JOB = {
    "id": 7, "kind": "active-rentals", "state": "done", "rows": 1250, "created_at": "2024-06-04T10:00:00Z",
    "started_at": "2024-06-04T10:00:01Z", "finished_at": "2024-06-04T10:00:03Z",
    "expires_at": "2024-06-05T10:00:03Z", "error": None, "url": "http://127.0.0.1:8000/exports/7/file",
}


class ExportInput(Serializer):
    kind = serializers.ChoiceField(choices=exports.KINDS, help_text="What to export (the kinds of `koko export`).")


class ExportOutput(Serializer):
    """An export job: ``queued`` → ``running`` (``rows`` written so far) → ``done`` (``url``: its CSV, until
    ``expires_at``) or ``failed`` (``error``); ``expired`` once its file is deleted."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=exports.KINDS)
    state = serializers.ChoiceField(choices=[s for s, _ in ExportJob.STATES])
    rows = serializers.IntegerField(help_text="Data rows written so far (the header row not counted).")
    created_at = AwareDateTimeField()
    started_at = AwareDateTimeField(allow_null=True)
    finished_at = AwareDateTimeField(allow_null=True)
    expires_at = AwareDateTimeField(allow_null=True, help_text="When the file is deleted (set once done).")
    error = serializers.CharField(allow_null=True, help_text="Why it failed.")
    url = serializers.URLField(allow_null=True, help_text="The CSV, once done.")

    def to_representation(self, job: ExportJob) -> dict:
        request = self.context.get("request")
        url = None
        if job.state == ExportJob.DONE:
            url = reverse("export-file", args=[job.pk])
            url = request.build_absolute_uri(url) if request is not None else url
        return super().to_representation({
            "id": job.pk, "kind": job.kind, "state": job.state, "rows": job.rows, "created_at": job.created_at,
            "started_at": job.started_at, "finished_at": job.finished_at, "expires_at": job.expires_at,
            "error": job.error or None, "url": url,
        })


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This export's file has expired and was deleted."
    default_code = "gone"


class NotReady(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"


def job_or_404(pk: int) -> ExportJob:
    try:
        return ExportJob.objects.get(pk=pk)
    except ExportJob.DoesNotExist:
        raise exceptions.NotFound(f"No export job {pk}.") from None


class ExportView(KokoView):
    permission_classes = can.STAFF


@extend_schema_view(
    post=doc(
        "Queue an export (staff): the CSV of `koko export KIND`, written in the background; poll the job, then "
        "fetch its `url`",
        {202: ExportOutput},
        request=ExportInput,
        examples=[example("open rentals", {"kind": "active-rentals"}, request=True),
                  example("queued", {**JOB, "state": "queued", "rows": 0, "started_at": None, "finished_at": None,
                                     "expires_at": None, "url": None}, status=202)],
        tags=["exports"],
    )
)
class ExportList(ExportView):
    input_class = ExportInput

    def post(self, request):
        data = self.valid(request)
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        job = exports.create(data["kind"], user)
        dispatch.export_queued(job.pk)
        answer = Response(ExportOutput(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)
        answer["Location"] = reverse("export-detail", args=[job.pk])
        return answer


@extend_schema_view(
    get=doc("An export job: its state and progress (staff)", ExportOutput, examples=[example("done", JOB)],
            tags=["exports"])
)
class ExportDetail(ExportView):
    def get(self, request, pk: int):
        return Response(ExportOutput(job_or_404(pk), context={"request": request}).data)


@extend_schema_view(
    get=doc(
        "An export's CSV once the job is done (staff); 409 while it is queued or running (or failed), 410 once "
        "expired",
        {
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "The CSV, header row first.",
                                                examples=[example("two lines", ex.CSV)]),
            410: OpenApiResponse(ErrorOutput, "The file expired and was deleted."),
        },
        tags=["exports"],
    )
)
class ExportFile(ExportView):
    renderer_classes = [JSONRenderer, CsvRenderer]
    may_conflict = True  # 409: not done yet

    def get(self, request, pk: int):
        job = job_or_404(pk)
        if job.state == ExportJob.EXPIRED:
            raise Gone()
        if job.state != ExportJob.DONE:
            raise NotReady(f"Export job {pk} is {job.state}: its file is ready once it is done."
                           + (f" It failed: {job.error}" if job.error else ""))
        path = exports.file_path(job)
        if (job.expires_at is not None and job.expires_at <= timezone.now()) or not path.is_file():
            raise Gone()
        return FileResponse(open(path, "rb"), content_type="text/csv; charset=utf-8", as_attachment=True,
                            filename=path.name)
