"""The filters behind releases (history.yml), logs.yml and ps.yml, on
hand-made input: what each line says."""

import importlib.util

from conftest import ROOT

SPEC = importlib.util.spec_from_file_location("flaskdeploy_filters", ROOT / "plugins" / "filter" / "flaskdeploy.py")
FILTERS = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(FILTERS)


def test_history_lines_say_what_happened():
    failed = {"at": "2026-01-01 12:00:00 UTC", "action": "deploy", "releases": ["20260101115900-1a2b3c4"],
              "version": "main", "ok": False, "failed": "web2: activate", "rolled_back": ["web2"], "by": "Ada",
              "seconds": 42.0, "subject": "Add a page", "hosts": {"web1": "20260101115900-1a2b3c4", "web2": "old"}}
    back = {"at": "2026-01-01 12:05:00 UTC", "action": "rollback", "releases": ["old"], "version": "old",
            "ok": True, "by": "Ada", "seconds": 20.5, "hosts": {"web1": "old", "web2": "old"}}
    newest_first = FILTERS.flaskdeploy_history_lines([back, failed])
    assert newest_first[0] == "2026-01-01 12:05:00 UTC rollback old (old) done by Ada in 20.5 s [web1 old, web2 old]"
    assert newest_first[1] == ("2026-01-01 12:00:00 UTC deploy 20260101115900-1a2b3c4 (main) FAILED web2: activate "
                               "(web2 back on the previous release) by Ada in 42.0 s: Add a page "
                               "[web1 20260101115900-1a2b3c4, web2 old]")


def test_logs_are_merged_in_time_order_with_their_source():
    results = [
        {"item": "web", "stdout_lines": ["2026-01-01T12:00:02.000000+0000 web1 gunicorn[1]: b",
                                         "-- No entries --"]},
        {"item": "release", "stdout_lines": ["2026-01-01T12:00:01.000000+0000 web1 sampleapp-release[2]: a"]},
    ]
    assert FILTERS.flaskdeploy_merge_logs(results, "web1", 5) == [
        "web1 release | 2026-01-01T12:00:01.000000+0000 web1 sampleapp-release[2]: a",
        "web1 web | 2026-01-01T12:00:02.000000+0000 web1 gunicorn[1]: b",
    ]
    assert FILTERS.flaskdeploy_merge_logs(results, "web1", 1) == [
        "web1 web | 2026-01-01T12:00:02.000000+0000 web1 gunicorn[1]: b"]


def test_ps_lines_name_each_unit_its_state_and_pid():
    shown = ("Id=app-gunicorn.service\nActiveState=active\nSubState=running\n"
             "ActiveEnterTimestamp=Thu 2026-01-01 12:00:00 UTC\nMainPID=42\n\n"
             "Id=app-worker@2.service\nActiveState=failed\nSubState=failed\nActiveEnterTimestamp=\nMainPID=0\n")
    assert FILTERS.flaskdeploy_ps(shown, "web1") == [
        "web1 app-gunicorn.service active/running since Thu 2026-01-01 12:00:00 UTC (pid 42)",
        "web1 app-worker@2.service failed/failed",
    ]
