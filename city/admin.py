from django.contrib import admin

from .models import (
    CalendarDay,
    Category,
    Community,
    Department,
    District,
    GridCell,
    Place,
    ResponsibilityGrid,
    RoutingRule,
    StaffProfile,
    Street,
    TimeLimit,
    WorkPeriod,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district"]
    list_filter = ["district"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "street"]
    list_filter = ["street"]
    search_fields = ["code", "name"]


@admin.register(GridCell)
class GridCellAdmin(admin.ModelAdmin):
    list_display = ["code", "community", "area_m2"]
    list_filter = ["community__street"]
    search_fields = ["code"]
    list_select_related = ["community"]
    readonly_fields = ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"]


@admin.register(ResponsibilityGrid)
class ResponsibilityGridAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["inspectors"]
    raw_id_fields = ["cells"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["code", "name", "name_en"]


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["full_code", "name", "name_en", "major_name", "default_department", "auto_dispatch", "active"]
    list_filter = ["kind", "major_name", "auto_dispatch", "active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [TimeLimitInline, RoutingRuleInline]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area_code", "department"]
    list_filter = ["department"]
    search_fields = ["category__code", "category__name", "area_code"]


@admin.register(WorkPeriod)
class WorkPeriodAdmin(admin.ModelAdmin):
    list_display = ["weekday", "start", "end"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "note"]
    list_filter = ["is_working"]
    date_hierarchy = "date"


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "lng", "lat"]
    list_filter = ["kind"]
    search_fields = ["name", "aliases"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "department", "phone"]
    list_filter = ["department"]
    search_fields = ["user__username"]
