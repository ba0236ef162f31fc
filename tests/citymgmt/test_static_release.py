"""Issue 13.12: the release step (Procfile: collectstatic) writes hashed, compressed static files
and pages reference them, with production settings in a fresh interpreter."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The handset page, then one of the files it names, as a browser asking for brotli would get it.
RENDER_PAGE = """
import re
from django.test import Client
client = Client()
page = client.get("/m/")
assert page.status_code == 200, page.status_code
print(page.content.decode())
script = re.search(r'/static/[^"]+[.]js', page.content.decode()).group(0)
asset = client.get(script, HTTP_ACCEPT_ENCODING="gzip, br")
print("ASSET", asset.status_code, asset.headers.get("Content-Encoding"), asset.headers.get("Cache-Control"))
"""


def production(static_root, tmp_path, *args, code=None):
    test_only = ("DEBUG", "DATABASE_URL", "REDIS_URL", "PLAIN_STATIC_FILES")
    env = {k: v for k, v in os.environ.items() if k not in test_only}
    env.update(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "production-like-secret-key-with-enough-entropy-0123456789",
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=str(static_root),
        DATABASE_URL=f"sqlite:///{tmp_path / 'release.sqlite3'}",
    )
    command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_release_collectstatic_writes_a_manifest_and_compressed_files_and_pages_use_hashed_names(tmp_path):
    static_root = tmp_path / "static"
    result = production(static_root, tmp_path, "collectstatic", "--noinput")
    assert result.returncode == 0, result.stderr[-3000:]

    assert (static_root / "staticfiles.json").exists()
    css = [p for p in static_root.rglob("*.css") if re.search(r"\.[0-9a-f]{12}\.css$", p.name)]
    assert css, "no hashed stylesheet"
    assert Path(f"{css[0]}.gz").exists()
    assert Path(f"{css[0]}.br").exists(), "no brotli file: is the Brotli package installed?"

    result = production(static_root, tmp_path, "shell", code=RENDER_PAGE)
    assert result.returncode == 0, result.stderr[-3000:]
    referenced = re.findall(r'/static/([^"\']+)', result.stdout.split("ASSET")[0])
    assert referenced
    for name in referenced:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", name), f"not a hashed name: {name}"
        assert (static_root / name).exists()
    # Served compressed, cached for good (the name changes when the content does).
    status, encoding, cache_control = result.stdout.split("ASSET")[1].split(maxsplit=2)
    assert (status, encoding) == ("200", "br")
    assert "immutable" in cache_control
