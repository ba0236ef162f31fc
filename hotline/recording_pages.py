"""A call's recording, as the city keeps it (`GET /hotline/recordings/<case number>`): streamed from
our own media storage to the roles that may hear a resident's voice, never redirected to Twilio."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
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
    except (FileNotFoundError, ValueError):
        raise NotFound(_("录音文件不存在。")) from None
    response = FileResponse(handle, content_type="audio/mpeg")
    response["Content-Disposition"] = f'inline; filename="{case.number}.mp3"'
    response["Cache-Control"] = "private, no-store"  # a resident's voice: no copy in any cache
    response["X-Content-Type-Options"] = "nosniff"
    return response
