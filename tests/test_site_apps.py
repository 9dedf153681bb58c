"""The apps of a site (plugins/filter/flaskdeploy.py): every entry of
site_apps completed and checked, and each app's fleet-wide SECRET_KEY."""

import base64
import importlib.util

import pytest
from ansible.errors import AnsibleFilterError

from conftest import ROOT

SPEC = importlib.util.spec_from_file_location("flaskdeploy_filters", ROOT / "plugins/filter/flaskdeploy.py")
filters = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(filters)

SITE = {"db_url_scheme": "postgresql", "redis": True, "rabbitmq": False, "health_path": "/",
        "health_release_field": ""}


def apps(*entries):
    return filters.flaskdeploy_apps(list(entries), SITE)


def test_one_app_gets_every_setting_and_is_the_default_server():
    (app,) = apps({"name": "shop", "repo_url": "git://example/shop.git"})
    assert app["default_server"] is True
    assert (app["db_name"], app["db_user"], app["rabbitmq_vhost"], app["redis_db"]) == ("shop", "shop", "shop", 0)
    assert (app["redis"], app["rabbitmq"], app["version"]) == (True, False, "main")
    assert app["shared_dirs"] == ["log", "tmp", "uploads", "instance"]


def test_several_apps_each_get_their_own_names_and_redis_database():
    shop, blog = apps({"name": "shop", "repo_url": "u", "domains": ["shop.example"]},
                      {"name": "blog", "repo_url": "u", "domains": ["blog.example"], "rabbitmq": True})
    assert (shop["default_server"], blog["default_server"]) == (False, False)
    assert (shop["redis_db"], blog["redis_db"]) == (0, 1)
    assert blog["rabbitmq"] and not shop["rabbitmq"]
    assert filters.flaskdeploy_databases([shop, blog]) == [
        {"database": "shop", "user": "shop", "password": ""}, {"database": "blog", "user": "blog", "password": ""}]
    assert filters.flaskdeploy_vhosts([shop, blog]) == [{"vhost": "blog", "user": "blog", "password": ""}]
    assert filters.flaskdeploy_app([shop, blog], "blog") is blog
    assert filters.flaskdeploy_app([shop, blog], "") is shop


@pytest.mark.parametrize("entries, message", [
    ([{"name": "shop"}], "repo_url is empty"),
    ([{"name": "Shop!", "repo_url": "u"}], "lower-case system name"),
    ([{"name": "shop", "repo_url": "u", "domian": ["x"]}], "unknown setting(s) domian"),
    ([{"name": "a", "repo_url": "u", "domains": ["a.x"]}, {"name": "a", "repo_url": "u", "domains": ["b.x"]}],
     "two apps are named a"),
    ([{"name": "a", "repo_url": "u", "default_server": True}, {"name": "b", "repo_url": "u", "default_server": True}],
     "a and b are both default_server"),
    ([{"name": "a", "repo_url": "u", "domains": ["a.x"]}, {"name": "b", "repo_url": "u"}],
     "b: with several apps each is reached by its domains"),
    ([{"name": "a", "repo_url": "u", "domains": ["x.x"]}, {"name": "b", "repo_url": "u", "domains": ["x.x"]}],
     "x.x is a domain of both a and b"),
    ([{"name": "a", "repo_url": "u", "domains": ["a.x"], "redis_db": 3},
      {"name": "b", "repo_url": "u", "domains": ["b.x"], "redis_db": 3}], "both use Redis database 3"),
    ([{"name": "a", "repo_url": "u", "redis_db": 16}], "redis_db must be 0 to 15"),
    ([{"name": "a", "repo_url": "u", "domains": "a.x"}], "domains must be a list"),
    ([{"name": "a", "repo_url": "u", "domains": ["not a name"]}], "is not a domain name"),
])
def test_wrong_entries_are_refused_with_what_to_fix(entries, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        apps(*entries)


def test_an_unknown_app_on_the_command_line_lists_the_apps():
    with pytest.raises(AnsibleFilterError, match="-e app=nope: no such app; the apps of this site are shop"):
        filters.flaskdeploy_app(apps({"name": "shop", "repo_url": "u"}), "nope")


def slurped(keys):
    """Results of a slurp loop over the apps, as Ansible registers them."""
    return [{"item": {"name": name}, **({"content": base64.b64encode(key.encode()).decode()} if key else {})}
            for name, key in keys.items()]


def test_the_stored_key_wins_and_hosts_that_differ_are_named():
    plan = filters.flaskdeploy_secret_keys(
        ["shop"], slurped({"shop": "Kq8zStoredKey"}),
        [{"results": slurped({"shop": "Kq8zStoredKey"})}, {"results": slurped({"shop": "Zx7OtherKey"})}], ["web1", "web2"])
    assert plan["keys"] == {"shop": "Kq8zStoredKey"} and plan["store"] == []
    assert "web2 had another key" in plan["report"][0]
    assert "Kq8zStoredKey" not in plan["report"][0] and "Zx7OtherKey" not in plan["report"][0]


def test_without_a_stored_key_the_first_hosts_key_is_kept_and_stored():
    plan = filters.flaskdeploy_secret_keys(
        ["shop"], slurped({"shop": ""}),
        [{"results": slurped({"shop": "key-of-web1"})}, {"results": slurped({"shop": "key-of-web2"})}], ["web1", "web2"])
    assert plan["keys"] == {"shop": "key-of-web1"} and plan["store"] == ["shop"]
    assert "the app hosts had different keys" in plan["report"][0] and "kept web1's" in plan["report"][0]


def test_a_new_app_gets_a_new_key_once():
    plan = filters.flaskdeploy_secret_keys(["shop"], slurped({"shop": ""}), [{"results": slurped({"shop": ""})}], ["web1"])
    assert len(plan["keys"]["shop"]) >= 48 and plan["store"] == ["shop"]
    assert plan["report"][0].startswith("SECRET_KEY of shop: generated (sha256 ")
