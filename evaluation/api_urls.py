from django.urls import path

from .api import EvaluationTableView

urlpatterns = [
    path("<str:table>", EvaluationTableView.as_view(), name="evaluation-api"),
]
