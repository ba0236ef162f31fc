"""The city's reference data. Each module holds one kind of thing."""

from .areas import Community, District, GridCell, ResponsibilityGrid, Street
from .calendar import CalendarDay, WorkPeriod
from .categories import Category, TimeLimit
from .departments import Department, RoutingRule
from .places import Place
from .staff import Role, StaffProfile

__all__ = [
    "CalendarDay",
    "Category",
    "Community",
    "Department",
    "District",
    "GridCell",
    "Place",
    "ResponsibilityGrid",
    "Role",
    "RoutingRule",
    "StaffProfile",
    "Street",
    "TimeLimit",
    "WorkPeriod",
]
