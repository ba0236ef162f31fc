"""Misconfigurations that only show past one process, made loud.

`manage.py check --deploy` prints them (registered by dispatch's AppConfig, the live boards'
owner) and `/readyz` names them in its body.
"""

from django.conf import settings
from django.core import checks

IN_MEMORY_LAYER = "channels.layers.InMemoryChannelLayer"

W001 = (
    "REDIS_URL is not set, so the channel layer is in memory: it reaches only its own process. "
    "With several web processes, boards and handsets on one process never receive events written "
    "on another, and the cache is per process."
)
W001_HINT = "Set REDIS_URL (redis://host:6379/0) on every web and worker process, or run one web process only."


def deployment_warnings() -> dict:
    """{what: why} for each setting that breaks as soon as a second process runs."""
    warnings = {}
    if not settings.DEBUG and settings.CHANNEL_LAYERS["default"]["BACKEND"] == IN_MEMORY_LAYER:
        warnings["channel_layer"] = "in_memory: reaches only this process; set REDIS_URL"
    return warnings


def check_channel_layer(app_configs=None, **kwargs):
    if "channel_layer" in deployment_warnings():
        return [checks.Warning(W001, hint=W001_HINT, id="citymgmt.W001")]
    return []


def register() -> None:
    checks.register(check_channel_layer, checks.Tags.compatibility, deploy=True)
