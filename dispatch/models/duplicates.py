"""Possible duplicates found at report time, for a call-taker to merge or dismiss (never automatic)."""

from django.db import models


class PossibleDuplicate(models.Model):
    case = models.ForeignKey("dispatch.Case", on_delete=models.CASCADE, related_name="possible_duplicates")
    candidate = models.ForeignKey("dispatch.Case", on_delete=models.CASCADE, related_name="+")
    distance_m = models.FloatField()
    dismissed = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "candidate"], name="one_pair")]

    def __str__(self):
        return f"{self.case_id}~{self.candidate_id} ({self.distance_m} m)"
