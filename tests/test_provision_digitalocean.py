"""DigitalOcean: provision, dynamic inventory, scaling and teardown, against a local stand-in.

The stand-in (tests/do_standin) answers the DigitalOcean API v2 on 127.0.0.1
with state kept in memory; the playbooks and the inventory plugin reach it
through their baseurl. One module-scoped lifecycle runs the real playbooks
in order (provision, provision again, new admin networks, scale web
2 -> 3 -> 2, teardown) and
keeps what the API held after each step; the tests then assert on those
snapshots, on the PLAY RECAPs and on the stand-in's request log, whose
responses are checked against DigitalOcean's OpenAPI spec.
"""

import base64
import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from conftest import ROOT, ansible
from do_standin import DigitalOceanStandIn, Spec, StandInServer

TOKEN = "dop_v1_standin0123456789abcdef"
PROJECT = "flaskdeploy"
ADMIN_CIDRS = ["203.0.113.7/32", "198.51.100.0/24"]
NEW_ADMIN_CIDRS = ["203.0.113.7/32", "192.0.2.10/32"]
ENV_NAMES = ("DIGITALOCEAN_TOKEN", "DO_API_TOKEN", "DO_API_KEY", "DO_OAUTH_TOKEN", "OAUTH_TOKEN", "FLASKDEPLOY_PROJECT")

# Every operation the playbooks and the inventory plugin use; the stand-in
# implements exactly these, plus TEST_ONLY_OPERATIONS that the tests read.
EXPECTED_OPERATIONS = {
    ("GET", "/v2/account"),
    ("GET", "/v2/account/keys"),
    ("POST", "/v2/account/keys"),
    ("GET", "/v2/account/keys/{ssh_key_identifier}"),
    ("DELETE", "/v2/account/keys/{ssh_key_identifier}"),
    ("GET", "/v2/droplets"),
    ("POST", "/v2/droplets"),
    ("DELETE", "/v2/droplets/{droplet_id}"),
    ("GET", "/v2/droplets/{droplet_id}"),
    ("GET", "/v2/tags"),
    ("POST", "/v2/tags"),
    ("GET", "/v2/tags/{tag_id}"),
    ("DELETE", "/v2/tags/{tag_id}"),
    ("GET", "/v2/firewalls"),
    ("POST", "/v2/firewalls"),
    ("PUT", "/v2/firewalls/{firewall_id}"),
    ("DELETE", "/v2/firewalls/{firewall_id}"),
    ("GET", "/v2/vpcs"),
    ("POST", "/v2/vpcs"),
    ("PUT", "/v2/vpcs/{vpc_id}"),
    ("DELETE", "/v2/vpcs/{vpc_id}"),
    ("GET", "/v2/reserved_ips"),
    ("POST", "/v2/reserved_ips"),
    ("DELETE", "/v2/reserved_ips/{reserved_ip}"),
    ("POST", "/v2/reserved_ips/{reserved_ip}/actions"),
    ("GET", "/v2/reserved_ips/{reserved_ip}/actions/{action_id}"),
    ("GET", "/v2/projects"),
    ("POST", "/v2/projects"),
    ("DELETE", "/v2/projects/{project_id}"),
    ("POST", "/v2/projects/{project_id}/resources"),
}
TEST_ONLY_OPERATIONS = {("GET", "/v2/projects/{project_id}/resources")}


def public_key(comment):
    """A well-formed ssh-ed25519 public key (random, never used to log in)."""
    blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + os.urandom(32)
    return f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}"


def run(*args, token=TOKEN, env=None, check=True):
    """An ansible command with the DigitalOcean variables of the environment replaced."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ENV_NAMES:
            patch.delenv(name, raising=False)
        if token:
            patch.setenv("DIGITALOCEAN_TOKEN", token)
        for name, value in (env or {}).items():
            patch.setenv(name, value)
        return ansible(*args, check=check, timeout=600)


def playbook(name, standin, token=TOKEN, check=True, env=None, **extra):
    # The stand-in's droplets hold no data: no backup is asked for.
    extra = {"do_api_baseurl": standin.baseurl, "teardown_without_backup": True, **extra}
    return run("ansible-playbook", f"playbooks/{name}", "-e", json.dumps(extra), token=token, env=env, check=check)


def recap(result):
    match = re.search(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)",
                      result.stdout, re.MULTILINE)
    assert match, result.stdout[-3000:]
    return dict(zip(("ok", "changed", "unreachable", "failed"), map(int, match.groups())))


def snapshot(standin):
    """What the account holds, read through the API (not logged)."""
    state = {}
    for key, path in (("droplets", "/v2/droplets"), ("firewalls", "/v2/firewalls"), ("vpcs", "/v2/vpcs"),
                      ("ssh_keys", "/v2/account/keys"), ("projects", "/v2/projects"),
                      ("reserved_ips", "/v2/reserved_ips"), ("tags", "/v2/tags")):
        state[key] = standin.get(path, per_page=200)[key]
    for project in state["projects"]:
        project["resources"] = [r["urn"] for r in standin.get(f"/v2/projects/{project['id']}/resources", per_page=200)["resources"]]
    return state


def plain(value):
    """ansible-inventory --list marks templated values as unsafe: {"__ansible_unsafe": value}."""
    return value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value


def names(items):
    return sorted(item["name"] for item in items)


def inventory_copy(directory, standin, with_static_hosts):
    """inventories/prod with the DigitalOcean source pointed at the stand-in."""
    source = ROOT / "inventories" / "prod"
    config = yaml.safe_load((source / "digitalocean.yml").read_text())
    config["baseurl"] = standin.baseurl
    (directory / "group_vars").symlink_to(source / "group_vars")
    (directory / "digitalocean.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    if with_static_hosts:
        (directory / "hosts.yml").write_text((source / "hosts.yml.example").read_text())
    return directory


@pytest.fixture(scope="module")
def lifecycle(tmp_path_factory):
    """Run the whole life of a project once; keep the snapshots, recaps and the request log."""
    seen = {}
    with StandInServer(token=TOKEN) as standin:
        # Already on the account before flaskdeploy: a droplet without tags and
        # an unrelated SSH key. Both must survive the teardown.
        status, legacy = standin.call("POST", "/v2/droplets", {
            "name": "legacy-mail", "size": "s-1vcpu-1gb", "image": "debian-12-x64", "region": "fra1"})
        assert status == 202, legacy
        status, laptop = standin.call("POST", "/v2/account/keys", {"name": "laptop", "public_key": public_key("me@laptop")})
        assert status == 201, laptop
        seen["before"] = snapshot(standin)

        key_file = tmp_path_factory.mktemp("ssh") / "id_ed25519.pub"
        key_file.write_text(public_key("deploy@flaskdeploy") + "\n")
        settings = {"do_admin_cidrs": ADMIN_CIDRS, "do_ssh_public_key": str(key_file), "do_lb_reserved_ip": True}
        seen["public_key"] = key_file.read_text().strip()

        seen["first"] = recap(playbook("provision-digitalocean.yml", standin, **settings))
        seen["provisioned"] = snapshot(standin)
        seen["second"] = recap(playbook("provision-digitalocean.yml", standin, **settings))
        seen["after_second"] = snapshot(standin)

        directory = inventory_copy(tmp_path_factory.mktemp("inventory"), standin, with_static_hosts=False)
        seen["inventory"] = json.loads(run("ansible-inventory", "-i", str(directory / "digitalocean.yml"),
                                           "--playbook-dir", ".", "--list").stdout)
        with_static = inventory_copy(tmp_path_factory.mktemp("inventory"), standin, with_static_hosts=True)
        seen["inventory_dir"] = json.loads(run("ansible-inventory", "-i", str(with_static), "--list").stdout)
        seen["site_hosts"] = run("ansible-playbook", "site.yml", "-i", str(directory / "digitalocean.yml"),
                                 "--list-hosts").stdout
        requests_before = len(standin.log)
        seen["inventory_no_token"] = run("ansible-inventory", "-i", str(directory), "--list", token=None)
        seen["requests_without_token"] = standin.log[requests_before:]

        settings["do_admin_cidrs"] = NEW_ADMIN_CIDRS
        seen["admins_changed"] = recap(playbook("provision-digitalocean.yml", standin, **settings))
        seen["after_admins"] = snapshot(standin)

        seen["scale_up"] = recap(playbook("provision-digitalocean.yml", standin, do_web_count=3, **settings))
        seen["scaled_up"] = snapshot(standin)
        seen["scale_down"] = recap(playbook("provision-digitalocean.yml", standin, do_web_count=2, **settings))
        seen["scaled_down"] = snapshot(standin)

        seen["teardown"] = recap(playbook("teardown-digitalocean.yml", standin, confirm_teardown=PROJECT))
        seen["torn_down"] = snapshot(standin)
        seen["log"] = list(standin.log)
    yield seen


def project_droplets(state):
    return [d for d in state["droplets"] if f"flaskdeploy-{PROJECT}" in d["tags"]]


# --------------------------------------------------------------------------- preflight


@pytest.fixture
def standin():
    with StandInServer(token=TOKEN) as server:
        yield server


def test_provision_without_a_token_stops_before_any_api_call(standin):
    result = playbook("provision-digitalocean.yml", standin, token=None, check=False,
                      do_admin_cidrs=ADMIN_CIDRS, do_ssh_public_key=public_key("x"))
    assert result.returncode != 0
    assert "no DigitalOcean API token in the environment" in result.stdout
    assert "export DIGITALOCEAN_TOKEN=" in result.stdout
    assert standin.log == [], "the stand-in was called before the preflight stopped"


def test_provision_names_each_missing_or_wrong_setting(standin):
    result = playbook("provision-digitalocean.yml", standin, check=False,
                      do_admin_cidrs=["203.0.113.5/24"], do_web_count="many", do_region="Frankfurt")
    assert result.returncode != 0
    failed = set(re.findall(r"failed: \[localhost\] \(item=(\w+)\)", result.stdout))
    assert failed == {"do_admin_cidrs", "do_ssh_public_key", "do_web_count", "do_region"}, result.stdout[-3000:]
    assert "as CIDRs with their network address" in result.stdout
    assert "do_ssh_public_key=~/.ssh/id_ed25519.pub" in result.stdout
    assert standin.log == []


def test_teardown_without_confirmation_stops_before_any_api_call(standin):
    for extra in ({}, {"confirm_teardown": "yes"}):
        result = playbook("teardown-digitalocean.yml", standin, check=False, **extra)
        assert result.returncode != 0
        assert f"run again with -e confirm_teardown={PROJECT}" in result.stdout
        assert "Nothing was deleted" in result.stdout
    without_token = playbook("teardown-digitalocean.yml", standin, token=None, check=False, confirm_teardown=PROJECT)
    assert without_token.returncode != 0 and "no DigitalOcean API token" in without_token.stdout
    assert standin.log == []


# --------------------------------------------------------------------------- provision


def test_provision_creates_the_expected_resources(lifecycle):
    state, project_tag = lifecycle["provisioned"], f"flaskdeploy-{PROJECT}"
    droplets = {d["name"]: d for d in project_droplets(state)}
    assert sorted(droplets) == [f"{PROJECT}-db-1", f"{PROJECT}-lb-1", f"{PROJECT}-web-1", f"{PROJECT}-web-2"]
    sizes = {"lb": "s-1vcpu-1gb", "web": "s-1vcpu-2gb", "db": "s-1vcpu-2gb"}
    (vpc,) = [v for v in state["vpcs"] if v["name"] == PROJECT]
    for name, droplet in droplets.items():
        role = name.split("-")[-2]
        assert sorted(droplet["tags"]) == sorted(["flaskdeploy", project_tag, f"flaskdeploy-role-{role}"])
        assert droplet["size_slug"] == sizes[role] and droplet["region"]["slug"] == "fra1"
        assert droplet["image"]["slug"] == "debian-12-x64" and droplet["status"] == "active"
        assert droplet["vpc_uuid"] == vpc["id"]
        assert "monitoring" in droplet["features"]
    assert vpc["region"] == "fra1" and not vpc["default"]

    (key,) = [k for k in state["ssh_keys"] if k["name"] == PROJECT]
    assert key["public_key"] == lifecycle["public_key"]
    creates = [r.request for r in lifecycle["log"] if r.method == "POST" and r.route == "/v2/droplets"]
    assert all(body["ssh_keys"] == [key["fingerprint"]] for body in creates if body["name"].startswith(PROJECT))

    firewalls = {f["name"]: f for f in state["firewalls"]}
    assert sorted(firewalls) == [PROJECT, f"{PROJECT}-lb"]
    project_fw = firewalls[PROJECT]
    assert project_fw["tags"] == [project_tag]
    ssh = [r for r in project_fw["inbound_rules"] if r["ports"] == "22"]
    assert ssh == [{"protocol": "tcp", "ports": "22", "sources": {"addresses": ADMIN_CIDRS}}]
    internal = [r for r in project_fw["inbound_rules"] if r["ports"] != "22"]
    assert internal and all(r["sources"] == {"tags": [project_tag]} for r in internal)
    world = {"addresses": ["0.0.0.0/0", "::/0"]}
    assert all(r["destinations"] == world for r in project_fw["outbound_rules"])
    lb_fw = firewalls[f"{PROJECT}-lb"]
    assert lb_fw["droplet_ids"] == [droplets[f"{PROJECT}-lb-1"]["id"]] and lb_fw["tags"] == []
    assert sorted(r["ports"] for r in lb_fw["inbound_rules"]) == ["443", "80"]
    assert all(r["sources"] == world for r in lb_fw["inbound_rules"])
    # Nothing but 22 (admins), 80/443 (lb) and the project's own droplets gets in.
    opened_to_addresses = {r["ports"] for fw in firewalls.values() for r in fw["inbound_rules"] if "addresses" in r["sources"]}
    assert opened_to_addresses == {"22", "80", "443"}

    (project,) = [p for p in state["projects"] if p["name"] == PROJECT]
    (reserved,) = state["reserved_ips"]
    assert reserved["droplet"]["id"] == droplets[f"{PROJECT}-lb-1"]["id"]
    assert reserved["project_id"] == project["id"] and reserved["region"]["slug"] == "fra1"
    expected_urns = {f"do:droplet:{d['id']}" for d in droplets.values()} | {f"do:floatingip:{reserved['ip']}"}
    assert set(project["resources"]) == expected_urns
    assert {t["name"] for t in state["tags"]} == {"flaskdeploy", project_tag} | {f"flaskdeploy-role-{r}" for r in sizes}


def test_first_provision_reports_its_changes_and_the_second_none(lifecycle):
    assert lifecycle["first"]["failed"] == 0 and lifecycle["first"]["changed"] > 0
    assert lifecycle["second"] == {**lifecycle["second"], "changed": 0, "failed": 0}
    assert lifecycle["after_second"]["droplets"] == lifecycle["provisioned"]["droplets"]
    assert lifecycle["after_second"]["reserved_ips"] == lifecycle["provisioned"]["reserved_ips"]


def test_dynamic_inventory_groups_the_droplets_by_role(lifecycle):
    graph = lifecycle["inventory"]
    droplets = {d["name"]: d for d in project_droplets(lifecycle["provisioned"])}
    assert graph["lb"]["hosts"] == [f"{PROJECT}-lb-1"]
    assert sorted(graph["web"]["hosts"]) == [f"{PROJECT}-web-1", f"{PROJECT}-web-2"]
    assert graph["db"]["hosts"] == [f"{PROJECT}-db-1"]
    assert sorted(graph["prod"]["hosts"]) == sorted(droplets)
    assert "legacy-mail" not in graph["_meta"]["hostvars"], "droplets of other projects must stay out"
    for name, droplet in droplets.items():
        hostvars = graph["_meta"]["hostvars"][name]
        v4 = {n["type"]: n["ip_address"] for n in droplet["networks"]["v4"]}
        assert plain(hostvars["ansible_host"]) == v4["public"] and plain(hostvars["private_ip"]) == v4["private"]
        # The environment's settings (inventories/prod/group_vars/prod) reach the droplets.
        assert hostvars["admin_ssh_public_keys"], hostvars.keys()


def test_inventory_directory_adds_the_droplets_to_the_static_groups(lifecycle):
    graph = lifecycle["inventory_dir"]
    for group, host in (("lb", f"{PROJECT}-lb-1"), ("web", f"{PROJECT}-web-2"), ("db", f"{PROJECT}-db-1")):
        assert host in graph[group]["hosts"]
    site = lifecycle["site_hosts"]
    assert all(f"{PROJECT}-{name}" in site for name in ("lb-1", "web-1", "web-2", "db-1")), site


def test_inventory_without_a_token_is_skipped_before_any_request(lifecycle):
    result = lifecycle["inventory_no_token"]
    assert result.returncode == 0
    assert "no DigitalOcean token in the environment (DIGITALOCEAN_TOKEN or DO_API_TOKEN)" in result.stderr
    assert lifecycle["requests_without_token"] == []


def test_prod_inventory_still_loads_without_a_token():
    result = run("ansible-inventory", "-i", "inventories/prod", "--list", token=None)
    graph = json.loads(result.stdout)
    assert graph["all"]["children"], graph
    assert not graph.get("lb", {}).get("hosts"), "no droplet may appear without a token"
    assert "DIGITALOCEAN_TOKEN" in result.stderr


def test_changing_the_admin_networks_updates_the_firewall_in_place(lifecycle):
    assert lifecycle["admins_changed"]["changed"] == 1 and lifecycle["admins_changed"]["failed"] == 0
    before = {f["name"]: f for f in lifecycle["provisioned"]["firewalls"]}
    after = {f["name"]: f for f in lifecycle["after_admins"]["firewalls"]}
    assert after[PROJECT]["id"] == before[PROJECT]["id"]
    ssh = [r for r in after[PROJECT]["inbound_rules"] if r["ports"] == "22"]
    assert ssh == [{"protocol": "tcp", "ports": "22", "sources": {"addresses": NEW_ADMIN_CIDRS}}]
    assert after[f"{PROJECT}-lb"] == before[f"{PROJECT}-lb"]


# --------------------------------------------------------------------------- scaling


def test_scaling_web_up_adds_one_droplet(lifecycle):
    before = {d["name"]: d["id"] for d in project_droplets(lifecycle["provisioned"])}
    after = {d["name"]: d["id"] for d in project_droplets(lifecycle["scaled_up"])}
    assert set(after) - set(before) == {f"{PROJECT}-web-3"}
    assert {name: after[name] for name in before} == before, "existing droplets must be kept"
    assert lifecycle["scale_up"]["changed"] == 1 and lifecycle["scale_up"]["failed"] == 0
    web3 = next(d for d in project_droplets(lifecycle["scaled_up"]) if d["name"].endswith("web-3"))
    assert "flaskdeploy-role-web" in web3["tags"]


def test_scaling_web_back_down_deletes_the_extra_droplet(lifecycle):
    before = {d["name"]: d["id"] for d in project_droplets(lifecycle["provisioned"])}
    after = {d["name"]: d["id"] for d in project_droplets(lifecycle["scaled_down"])}
    assert after == before
    assert lifecycle["scale_down"]["changed"] == 1 and lifecycle["scale_down"]["failed"] == 0
    assert "legacy-mail" in names(lifecycle["scaled_down"]["droplets"])


# --------------------------------------------------------------------------- teardown


def test_teardown_removes_what_it_created_and_nothing_else(lifecycle):
    before, after = lifecycle["before"], lifecycle["torn_down"]
    assert lifecycle["teardown"]["failed"] == 0 and lifecycle["teardown"]["changed"] > 0
    assert names(after["droplets"]) == names(before["droplets"]) == ["legacy-mail"]
    assert [d["id"] for d in after["droplets"]] == [d["id"] for d in before["droplets"]]
    assert after["ssh_keys"] == before["ssh_keys"] and names(after["ssh_keys"]) == ["laptop"]
    assert names(after["vpcs"]) == names(before["vpcs"]) == ["default-fra1"]
    assert [p["name"] for p in after["projects"]] == [p["name"] for p in before["projects"]] == ["first-project"]
    assert after["firewalls"] == [] and after["reserved_ips"] == [] and after["tags"] == []


def test_only_the_projects_droplets_were_ever_deleted(lifecycle):
    project_ids = {d["id"] for d in project_droplets(lifecycle["scaled_up"])}
    deleted = [int(r.path.rsplit("/", 1)[1]) for r in lifecycle["log"]
               if r.method == "DELETE" and r.route == "/v2/droplets/{droplet_id}"]
    assert sorted(deleted) == sorted(project_ids), "each project droplet deleted once (web-3 by the scale-down), no other"


def test_a_key_already_on_the_account_is_used_and_kept(standin, tmp_path):
    """Another project (FLASKDEPLOY_PROJECT=shop) whose admin key the account already has."""
    key = public_key("me@laptop")
    status, laptop = standin.call("POST", "/v2/account/keys", {"name": "laptop", "public_key": key})
    assert status == 201
    env = {"FLASKDEPLOY_PROJECT": "shop"}
    playbook("provision-digitalocean.yml", standin, env=env, do_web_count=1,
             do_admin_cidrs=ADMIN_CIDRS, do_ssh_public_key=key)
    creates = [r.request for r in standin.log if r.method == "POST" and r.route == "/v2/droplets"]
    assert sorted(body["name"] for body in creates) == ["shop-db-1", "shop-lb-1", "shop-web-1"]
    assert all(body["ssh_keys"] == [laptop["ssh_key"]["fingerprint"]] for body in creates)
    assert len(standin.requests("POST", "/v2/account/keys")) == 1, "the key on the account must be reused"
    assert names(standin.get("/v2/account/keys")["ssh_keys"]) == ["laptop"]

    directory = inventory_copy(tmp_path, standin, with_static_hosts=False)
    graph = json.loads(run("ansible-inventory", "-i", str(directory), "--list", env=env).stdout)
    assert graph["web"]["hosts"] == ["shop-web-1"] and graph["lb"]["hosts"] == ["shop-lb-1"]
    default_graph = json.loads(run("ansible-inventory", "-i", str(directory), "--list").stdout)
    assert "web" not in default_graph, "the default project (flaskdeploy) has no droplets"

    playbook("teardown-digitalocean.yml", standin, env=env, confirm_teardown="shop")
    assert standin.get("/v2/droplets")["droplets"] == []
    assert names(standin.get("/v2/account/keys")["ssh_keys"]) == ["laptop"]


# --------------------------------------------------------------------------- the stand-in against the spec


@pytest.fixture(scope="module")
def spec():
    return Spec()


def test_every_response_matches_the_openapi_spec(lifecycle, spec):
    log = lifecycle["log"]
    assert [r for r in log if r.route is None] == [], "requests to endpoints the stand-in does not implement"
    assert all(r.authorized for r in log)
    used = {(r.method, r.route) for r in log}
    assert used == EXPECTED_OPERATIONS, f"unexpected: {sorted(used - EXPECTED_OPERATIONS)}, not exercised: {sorted(EXPECTED_OPERATIONS - used)}"
    problems, checked = [], set()
    for record in log:
        checked.add((record.method, record.route, record.status))
        problems += spec.validate_response(record.path, record.method, record.status, record.response)
    assert problems == [], "\n".join(dict.fromkeys(problems))
    assert len(checked) >= len(EXPECTED_OPERATIONS)


def test_standin_implements_exactly_what_is_used():
    assert DigitalOceanStandIn(TOKEN).operations == EXPECTED_OPERATIONS | TEST_ONLY_OPERATIONS


def test_requests_built_by_the_playbooks_match_the_openapi_spec(lifecycle, spec):
    """The raw API calls (uri) send bodies the spec accepts; the modules' own are their business."""
    built = {("POST", "/v2/projects"), ("POST", "/v2/reserved_ips"), ("POST", "/v2/reserved_ips/{reserved_ip}/actions")}
    records = [r for r in lifecycle["log"] if (r.method, r.route) in built]
    assert {(r.method, r.route) for r in records} == built
    problems = [p for r in records for p in spec.validate_request(r.path, r.method, r.request)]
    assert problems == []


def test_spec_validation_rejects_a_deviating_response(lifecycle, spec):
    record = next(r for r in lifecycle["log"] if r.method == "GET" and r.route == "/v2/droplets" and r.response["droplets"])
    broken = json.loads(json.dumps(record.response))
    del broken["droplets"][0]["networks"]
    broken["droplets"][0]["status"] = "running"
    broken["meta"] = {}
    problems = spec.validate_response(record.path, "GET", 200, broken)
    assert any("'networks' is a required property" in p for p in problems), problems
    assert any("'running' is not one of" in p for p in problems), problems
    assert any("'total' is a required property" in p for p in problems), problems
    assert spec.validate_response(record.path, "GET", 202, record.response), "an undocumented status must not pass"


def test_standin_requires_the_bearer_token(standin, spec):
    status, body = standin.call("GET", "/v2/droplets", token="wrong")
    assert status == 401 and body["id"] == "Unauthorized"
    assert spec.validate_response("/v2/droplets", "GET", 401, body) == []
    status, body = standin.call("GET", "/v2/droplets?per_page=1&tag_name=none")
    assert status == 200 and body == {"droplets": [], "links": {}, "meta": {"total": 0}}


def test_standin_paginates_and_filters_by_tag(standin, spec):
    for index in range(3):
        status, _ = standin.call("POST", "/v2/droplets", {"name": f"p-{index}", "size": "s-1vcpu-1gb",
                                                          "image": "debian-12-x64", "region": "ams3",
                                                          "tags": ["even"] if index % 2 == 0 else []})
        assert status == 202
    status, page = standin.call("GET", "/v2/droplets?tag_name=even&per_page=1")
    assert [d["name"] for d in page["droplets"]] == ["p-0"] and page["meta"] == {"total": 2}
    assert page["links"]["pages"]["next"].endswith("/v2/droplets?tag_name=even&page=2&per_page=1")
    next_page = urlsplit(page["links"]["pages"]["next"])
    status, last = standin.call("GET", f"{next_page.path}?{next_page.query}")
    assert [d["name"] for d in last["droplets"]] == ["p-2"] and "next" not in last["links"]["pages"]
    for record in standin.log:
        assert spec.validate_response(record.path, record.method, record.status, record.response) == []


def test_docs_name_every_token_scope_the_playbooks_use(lifecycle, spec):
    scopes = sorted({scope for record in lifecycle["log"] for scope in spec.scopes(record.route, record.method)})
    guide = (ROOT / "docs" / "cloud-digitalocean.md").read_text()
    missing = [scope for scope in scopes if f"`{scope}`" not in guide]
    assert missing == [], f"docs/cloud-digitalocean.md does not list the token scopes {missing}"


def test_default_settings_match_the_guide():
    settings = yaml.safe_load((ROOT / "playbooks" / "vars" / "digitalocean.yml").read_text())
    guide = (ROOT / "docs" / "cloud-digitalocean.md").read_text()
    for role, size in settings["do_sizes"].items():
        assert size in guide, f"the guide does not price the {role} size {size}"
    assert Path(ROOT / "inventories" / "prod" / "digitalocean.yml").is_file()
