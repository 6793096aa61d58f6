"""Alert channel secrets: given in the environment, used to deliver, never written to the outbox, the state or the
output. The channel is a recorder on another loopback address standing in for a webhook."""

from __future__ import annotations

import pytest

from .conftest import AS_OF, base_env, run_fzzf
from .farm import Farm, text

pytestmark = pytest.mark.reliability

SECRET = "s3cr3t-T0KEN-4f9a"


def test_alert_secrets_stay_out_of_files_and_output(pipeline):
    farm = Farm()
    try:
        hook = farm.site("webhook", host="127.0.0.4")
        hook.set("/hook", text("ok"))
        url = f"json://fzzf:{SECRET}@{hook.host}:{hook.port}/hook"
        env = base_env(pipeline.tmp, FZZF_ALERT_URLS=url)
        ran = run_fzzf(["alert", "--data-dir", str(pipeline.data), "--as-of", AS_OF.isoformat()], env, timeout=120)
    finally:
        farm.close()
    assert ran.returncode == 0, ran.output[-3000:]
    posts = [h for h in hook.hits() if h.method == "POST"]
    assert posts, "the missing-report digest was not delivered"
    assert "法治政府" in posts[0].body.decode("utf-8") or "missing" in posts[0].body.decode("utf-8").lower()
    assert SECRET not in ran.output
    for path in (pipeline.data / "alerts").rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
