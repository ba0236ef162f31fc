"""A call's recording, as the city keeps it (`GET /hotline/recordings/<case number>`): streamed from
our own media storage to the roles that may hear a resident's voice, never redirected to Twilio."""

import re

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from city.privacy import may_hear_recordings
from citymgmt.errors import Forbidden, NotFound
from dispatch.access import visible_cases

from .casefile import stored_recording


@login_required
@require_GET
def recording(request, number):
    if not may_hear_recordings(request.user):
        raise Forbidden(_("只有受理员和值班长可以收听市民的通话录音。"))
    case = visible_cases(request.user).filter(number=number[:32]).first()
    if case is None:
        raise NotFound(_("案卷 %(number)s 不存在。") % {"number": number[:32]})
    call = stored_recording(case)
    if call is None:
        raise NotFound(_("录音尚未取回。"))
    try:
        handle = call.recording_file.open("rb")
        size = call.recording_file.size
    except (OSError, ValueError):  # the file gone from the storage
        raise NotFound(_("录音文件不存在。")) from None
    wanted = byte_range(request.headers.get("Range", ""), size)
    if wanted is None:
        response = FileResponse(handle, content_type="audio/mpeg")
    elif wanted == UNSATISFIABLE:
        handle.close()
        response = HttpResponse(status=416, headers={"Content-Range": f"bytes */{size}"})
    else:  # players seek with a Range (Safari plays nothing without one); files are small
        start, end = wanted
        with handle:
            handle.seek(start)
            response = HttpResponse(handle.read(end - start + 1), status=206, content_type="audio/mpeg")
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Content-Disposition"] = f'inline; filename="{case.number}.mp3"'
    response["Cache-Control"] = "private, no-store"  # a resident's voice: no copy in any cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


UNSATISFIABLE = (-1, -1)
_RANGE = re.compile(r"bytes=([0-9]{0,15})-([0-9]{0,15})", re.ASCII)


def byte_range(header: str, size: int):
    """One `bytes=a-b`, `bytes=a-` or `bytes=-n` range as (start, end) inclusive; None to send the
    whole file (no header, or one we do not serve: several ranges, another unit, nonsense);
    UNSATISFIABLE when it starts past the end."""
    found = _RANGE.fullmatch(header.strip())
    if found is None or found.groups() == ("", ""):
        return None
    first, last = found.groups()
    if not first:  # the last n bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n and size else UNSATISFIABLE
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        return UNSATISFIABLE
    return None if end < start else (start, end)
