"""The maps' data feeds, for our own pages and for others: bounded, paginated, cached.

Access: city-wide roles (call-takers, supervisors, dispatchers, leaders, admins)."""

import gzip
import hashlib
import json
import threading
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from city import grid, outlines
from city.models import Category, GridCell, Place
from city.roles import roles_of
from citymgmt import softcache
from citymgmt.errors import Forbidden, InvalidData, NotFound
from citymgmt.query import parse_day, query_int
from dispatch import live
from dispatch.access import CITY_WIDE_ROLES
from field import access as field_access
from field import coverage, positions
from field import track as field_track

from . import queries, wall

MAX_CELLS = 25_000
DEFAULT_PAGE = 5_000


def map_feed(view):
    """Login, a city-wide role, GET only (domain errors become the error JSON in citymgmt.middleware)."""

    @login_required
    @require_GET
    @gzip_page  # megabytes of JSON; no secrets in them, so compression leaks nothing (BREACH)
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles_of(request.user) & CITY_WIDE_ROLES:
            raise Forbidden()
        return view(request, *args, **kwargs)

    return wrapped


def _json(body: str, content_type="application/json") -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "private, max-age=5"
    return response


def _cached(prefix: str, request, build) -> str:
    """A response body cached until any case changes (the log's last id is part of the key)."""
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:24]
    # Names follow the language: it is part of the key.
    return softcache.get_or_build(f"maps:{prefix}:{live.last_event_id()}:{get_language()}:{query}", build, 300)


def _gzipped(prefix: str, request, build) -> HttpResponse:
    """Like `_cached`, but the cache holds the body gzipped once: a 4 MB feed is not compressed
    again for every map that opens (gzip_page leaves a response that is already encoded alone)."""
    query = hashlib.sha256(request.GET.urlencode().encode()).hexdigest()[:24]
    key = f"maps:{prefix}:gz:{live.last_event_id()}:{get_language()}:{query}"
    body = softcache.get_or_build(key, lambda: gzip.compress(build().encode(), compresslevel=6, mtime=0), 300)
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = _json(body)
        response["Content-Encoding"] = "gzip"
    else:
        response = _json(gzip.decompress(body))
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _int(request, name, default):
    value, error = query_int(request.GET, name, default)
    if error:
        raise InvalidData(fields={name: error})
    return value


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)


def staff_feed(view):
    """Login and any staff role (the consoles' small maps draw the grid too), GET only."""

    @login_required
    @require_GET
    @gzip_page
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles_of(request.user):
            raise Forbidden()
        return view(request, *args, **kwargs)

    return wrapped


# The grid feeds are keyed by the grid's version, so they can live long: a new import is a new key.
GRID_FEEDS_TTL = 7 * 24 * 3600
_grid_feeds_lock = threading.Lock()


def _grid_feed(name: str, content_type="application/json") -> HttpResponse:
    """`grid-compact` or `areas`, built once per grid version (the grid changes by import, rarely).
    Either one missing builds both from one read of the grid (the map asks for both at once), and a
    second request meanwhile waits for that build instead of making its own."""
    version = grid.shared.shared_version()
    keys = {n: f"maps:{n}:{version}" for n in ("grid-compact", "areas")}
    body = softcache.get(keys[name])
    if body is None:
        with _grid_feeds_lock:
            body = softcache.get(keys[name])
            if body is None:
                compact, named = outlines.both()
                built = {"grid-compact": _dumps(compact), "areas": _dumps(named)}
                # No version yet (or evicted): an hour, so that a feed of an older grid cannot
                # come back for a week under the same "no version" key.
                ttl = GRID_FEEDS_TTL if version is not None else 3600
                for n, text in built.items():
                    softcache.set(keys[n], text, ttl)
                body = built[name]
    return _json(body, content_type)


@staff_feed
def grid_compact(request):
    """Every cell's outline as delta-encoded integers (city.outlines.compact_cells): what the
    command map draws on its canvas."""
    return _grid_feed("grid-compact")


@staff_feed
def areas(request):
    """Streets and communities as named boundaries (GeoJSON)."""
    return _grid_feed("areas", "application/geo+json")


@staff_feed
def places(request):
    """The gazetteer's places as labels: {"places": [[name, kind, lng, lat], ...]}."""
    rows = Place.objects.order_by("name").values_list("name", "kind", "lng", "lat")
    return _json(_dumps({"places": [list(r) for r in rows]}))


@login_required
@require_GET
@gzip_page
def grid_geojson(request):
    """Grid cells as a FeatureCollection, optionally within a bbox; cached per grid version.
    Any staff role may read it (the consoles' small maps use it)."""
    if not roles_of(request.user):
        raise Forbidden()
    bbox = queries.CaseFilter.from_query({"bbox": request.GET.get("bbox", ""), "all": "1"}).bbox
    key = f"maps:grid:{grid.shared.shared_version()}:{','.join(map(str, bbox)) if bbox else 'all'}"

    def build():
        cells = GridCell.objects.select_related("community").order_by("code")
        if bbox:
            cells = cells.filter(max_lng__gte=bbox[0], min_lng__lte=bbox[2], max_lat__gte=bbox[1], min_lat__lte=bbox[3])
        features = [
            {"type": "Feature", "geometry": c.geometry, "properties": {"code": c.code, "community": c.community.name}}
            for c in cells[:MAX_CELLS]
        ]
        return _dumps({"type": "FeatureCollection", "features": features})

    return _json(softcache.get_or_build(key, build, 3600), "application/geo+json")


def _next_url(request, name, after):
    if after is None:
        return None
    query = request.GET.copy()
    query["after"] = after
    return f"{reverse(name)}?{query.urlencode()}"


@map_feed
def cases_geojson(request):
    """`?bbox=&state=&category=&department=&street=&from=&to=&since=&after=&limit=` → a page of
    cases as GeoJSON points; `next` is the following page (id cursor)."""
    f = queries.CaseFilter.from_query(request.GET)
    after, limit = _int(request, "after", 0), _int(request, "limit", DEFAULT_PAGE)

    def build():
        rows, next_after = queries.page(f, after, limit)
        names = {(c.kind, c.code): c.display_name for c in Category.objects.all()}  # in the page's language
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {
                    "number": number,
                    "state": state,
                    "light": light,
                    "category": ("C" if kind == "component" else "E") + code,
                    "category_name": names.get((kind, code), code),
                    "address": address,
                    "due_at": due.isoformat() if due else None,
                },
            }
            for _id, number, lng, lat, state, light, kind, code, due, address in rows
        ]
        return _dumps(
            {
                "type": "FeatureCollection",
                "features": features,
                "next": _next_url(request, "maps:cases-geojson", next_after),
            }
        )

    return _json(_cached("cases-geojson", request, build), "application/geo+json")


@map_feed
def cases_compact(request):
    """The same cases as arrays (a fifth of the bytes): what the map page loads, in chunks.
    Each row: [number, lng, lat, state, light, category]."""
    f = queries.CaseFilter.from_query(request.GET)
    after, limit = _int(request, "after", 0), _int(request, "limit", queries.MAX_PAGE)

    def build():
        last_id = live.last_event_id()  # read first: a live board resumes from here
        rows, next_after = queries.page(f, after, limit)
        data = [
            [number, round(lng, 6), round(lat, 6), state, light, ("C" if kind == "component" else "E") + code]
            for _id, number, lng, lat, state, light, kind, code, _due, _address in rows
        ]
        return _dumps({"last_id": last_id, "rows": data, "next": _next_url(request, "maps:cases-compact", next_after)})

    return _json(_cached("cases-compact", request, build))


@map_feed
def cases_columns(request):
    """The whole map's cases in one request, as columns (maps.queries.columns) with the log's
    last id to resume the live feed from: 100,000 cases in about a megabyte on the wire."""
    f = queries.CaseFilter.from_query(request.GET)

    def build():
        last_id = live.last_event_id()  # read first: a live board resumes from here
        return _dumps({"last_id": last_id, **queries.columns(f)})

    return _gzipped("cases-columns", request, build)


@map_feed
def locate(request):
    """`?number=` → where one case is, whatever the map's filter (the map's locate box)."""
    found = queries.locate(request.GET.get("number") or "")
    if found is None:
        raise NotFound(_("案卷 %(number)s 不存在或没有位置。") % {"number": request.GET.get("number")})
    return _json(_dumps(found))


@map_feed
def cells(request):
    return _json(_cached("cells", request, lambda: _dumps(queries.cell_figures())))


@map_feed
def today(request):
    return _json(_dumps(queries.today_figures()))


@map_feed
def wall_summary(request):
    """Everything the wall shows around its map (maps.wall.summary), a few kilobytes."""
    response = _json(_dumps(wall.summary()))
    response["Cache-Control"] = "private, no-cache"  # fetched right after an event: never a stale copy
    return response


@map_feed
def inspectors(request):
    """On-duty inspectors' latest positions; `stale` ones (older than 10 minutes) are drawn grey.
    `now` is the server's clock, so a page can tell staleness later without trusting its own."""
    now = timezone.now()
    rows = [{**p.as_json(), "stale": p.is_stale(now)} for p in positions.latest() if p.on_duty]
    stale_after_s = int(positions.STALE.total_seconds())
    return _json(_dumps({"now": now.isoformat(), "stale_after_s": stale_after_s, "inspectors": rows}))


@map_feed
def track(request):
    """轨迹回放: an inspector's trail on a day (GeoJSON points in time order) and the case actions they
    took that day (reports, verifications, checks), each at its case's point.
    ?inspector=USERNAME&date=YYYY-MM-DD."""
    if not field_access.may_see_everyones(request.user):
        raise Forbidden(_("只有值班长和领导可以查看监督员轨迹。"))
    day, error = parse_day(request.GET.get("date", ""))
    if error:
        raise InvalidData(_("日期须为 YYYY-MM-DD，且在 2000 至 2099 年之间。"), fields={"date": error})
    name = request.GET.get("inspector", "")
    user = coverage.inspectors().filter(username=name).first() if "\x00" not in name else None
    if user is None:
        raise InvalidData(_("没有这个监督员。"), fields={"inspector": "unknown"})
    actions = queries.track_actions(user, day)
    return _json(_dumps({"track": field_track.day_track(user, day), "actions": actions}))
