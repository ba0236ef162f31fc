"""Provisioning: create an Open311 API client and print its key on the last line (shown once)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.text import slugify

from open311.models import ApiClient


class Command(BaseCommand):
    help = "Create an Open311 API client; its key is printed on the last line of the output, once."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--source", required=True, help="source label shown on its cases, e.g. 12345 or web")
        parser.add_argument("--rate-limit", type=int, default=60, help="reports per minute")
        parser.add_argument("--callback-url", default="")
        parser.add_argument("--callback-secret", default="")
        parser.add_argument("--read-only", action="store_true")

    def handle(self, *args, **options):
        label = slugify(options["source"])[:32]
        if not label:
            raise CommandError("--source must be a short label such as 12345 or web")
        client = ApiClient(
            name=options["name"],
            source_label=label,
            rate_limit_per_minute=options["rate_limit"],
            callback_url=options["callback_url"],
            callback_secret=options["callback_secret"],
            can_post=not options["read_only"],
        )
        key = client.new_key()
        try:
            client.save()
        except IntegrityError as exc:
            raise CommandError(f"an API client named {options['name']!r} exists already") from exc
        self.stdout.write(f"created API client {client.name} (source {client.source_label}); its key, shown once:")
        self.stdout.write(key)
