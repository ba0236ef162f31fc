"""folium maps of the city. Python builds the map, its layers and legend; the data comes from the
feeds in chunks (a folium object per case would take seconds per ten thousand), and the page's
script fills and updates the layers by the JavaScript names folium gives them (`get_name()`)."""

from dataclasses import dataclass

import folium
from branca.element import MacroElement, Template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from folium import plugins

from city import basemap
from city.grid import city_extent
from dispatch.models.cases import FINAL_STATES

from .assets import use_local_assets

# The stages of the loop, each a layer the user can switch: every state is in exactly one
# (tests/maps check it against the workflow's states).
STATE_LAYERS = [
    ("intake", gettext_lazy("待受理 / 核实中"), ["reported", "verifying"]),
    ("registered", gettext_lazy("已立案待派遣"), ["registered"]),
    ("handling", gettext_lazy("处置中 / 挂账"), ["dispatched", "suspended"]),
    ("checking", gettext_lazy("已处置 / 核查 / 待结案"), ["handled", "checking", "checked"]),
    ("final", gettext_lazy("已办结"), sorted(str(s) for s in FINAL_STATES)),
]
LIGHT_COLORS = {"green": "#2e9d4b", "yellow": "#e6b400", "red": "#d93025", "": "#6b7785", "closed": "#9aa3ad"}


@dataclass
class BuiltMap:
    header: str  # <link>/<script> tags and styles, for <head>
    body: str  # the map's <div>
    script: str  # folium's script; our page script runs after it
    names: dict  # layer → JavaScript variable name


class Legend(MacroElement):
    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="map-legend">
          <strong>{{ this.title }}</strong>
          {% for label, color in this.items %}
          <div><span style="background:{{ color }}"></span>{{ label }}</div>
          {% endfor %}
        </div>
        {% endmacro %}
        """
    )

    def __init__(self, title, items):
        super().__init__()
        self._name = "Legend"
        self.title, self.items = title, items


def _tile_layer(spec, name, *, overlay=False):
    options = dict(spec["options"])
    return folium.TileLayer(
        tiles=spec["url"],
        attr=spec["attribution"] or " ",  # folium refuses a custom layer without one
        name=name,
        overlay=overlay,
        control=not overlay,
        subdomains=options.pop("subdomains", "abc"),
        max_native_zoom=options.pop("maxNativeZoom", None),
        max_zoom=options.pop("maxZoom", 19),
        **{k: v for k, v in options.items()},
    )


def build(*, heat_points=None, with_cases=True) -> BuiltMap:
    use_local_assets()
    extent = city_extent()
    center = extent["center"] if extent else [36.545, 104.17]
    # The scale bar is ours (metric only, city_map.js); folium's shows feet and miles too.
    m = folium.Map(location=center, zoom_start=14, tiles=None, prefer_canvas=True, control_scale=False)
    m.options["maxZoom"] = 19  # with no tile layer nothing else sets it
    base, labels = basemap.tiles(), basemap.labels()
    if base:
        _tile_layer(base, _("底图")).add_to(m)
    if labels:
        _tile_layer(labels, _("注记"), overlay=True).add_to(m)
    if extent:
        m.fit_bounds([[extent["min_lat"], extent["min_lng"]], [extent["max_lat"], extent["max_lng"]]])
    names = {"map": m.get_name()}
    # Overlays by a stable key (the page remembers each person's choices by it).
    overlays = {}
    grid = folium.FeatureGroup(name=_("单元网格"), show=True).add_to(m)
    overlays["grid"] = names["grid"] = grid.get_name()
    areas = folium.FeatureGroup(name=_("街道 / 社区"), show=True).add_to(m)
    overlays["areas"] = names["areas"] = areas.get_name()
    places = folium.FeatureGroup(name=_("地名"), show=True).add_to(m)
    overlays["places"] = names["places"] = places.get_name()
    if with_cases:
        # Cases by stage of the loop: the groups are switches (the points are drawn on one canvas by
        # city_map.js from the stages switched on); finished ones hidden at first.
        layers = {}
        for key, label, states in STATE_LAYERS:
            group = folium.FeatureGroup(name=str(label), show=key != "final").add_to(m)
            layers[key] = {"name": group.get_name(), "states": states}
            overlays[f"cases-{key}"] = group.get_name()
        inspectors = folium.FeatureGroup(name=_("监督员位置"), show=True).add_to(m)
        names.update(case_layers=layers, inspectors=inspectors.get_name())
        overlays["inspectors"] = inspectors.get_name()
    heat = plugins.HeatMap(heat_points or [], name=_("热力图"), show=heat_points is not None, radius=18).add_to(m)
    overlays["heat"] = names["heat"] = heat.get_name()
    names["overlays"] = overlays
    folium.LayerControl(collapsed=False).add_to(m)
    Legend(
        _("警示灯"),
        [(_("绿灯"), LIGHT_COLORS["green"]), (_("黄灯"), LIGHT_COLORS["yellow"]), (_("红灯"), LIGHT_COLORS["red"]),
         (_("已办结"), LIGHT_COLORS["closed"])],
    ).add_to(m)  # fmt: skip
    root = m.get_root()
    root.render()
    return BuiltMap(root.header.render(), root.html.render(), root.script.render(), names)
