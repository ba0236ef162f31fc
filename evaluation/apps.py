from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    """综合评价: indicators computed from the case event log, rankings, monthly reports."""

    name = "evaluation"
    verbose_name = _("综合评价")
