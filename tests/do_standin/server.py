"""A stand-in for the DigitalOcean API v2, for the provisioning tests.

Exactly the endpoints that playbooks/provision-digitalocean.yml,
playbooks/teardown-digitalocean.yml and the community.digitalocean inventory
plugin call are implemented (plus the list of a project's resources, which
the tests read), with the semantics those callers rely on:
Bearer authentication, pagination (``page``/``per_page``, ``links.pages``,
``meta.total``), droplets that boot (``new`` then ``active``, addresses once
active), reserved IP actions that complete, tags created on first use by droplets but
required to exist by firewalls, VPC membership, reserved IPs that follow their
droplet, projects that refuse to be deleted while they hold resources.

State lives in memory for the life of the server. Every request is recorded
(method, path, query, status, request and response bodies) so tests can
assert what was called, and validate each response against DigitalOcean's
OpenAPI spec. Responses are built from complete objects carrying every field
the spec marks as required.

Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from .catalog import CREATED_AT_IMAGES, IMAGES, REGION_FEATURES, REGIONS, SIZES

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200
PUBLIC_POOL = ipaddress.ip_network("203.0.113.0/24")  # TEST-NET-3: never routed
RESERVED_POOL = ipaddress.ip_network("198.51.100.0/24")  # TEST-NET-2: never routed
TAG_NAME = re.compile(r"^[a-zA-Z0-9_\-:]{1,255}$")
DROPLET_NAME = re.compile(r"^[a-zA-Z0-9.-]{1,253}$")
FIREWALL_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9.-]+$")
VPC_NAME = re.compile(r"^[a-zA-Z0-9\-.]+$")
PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ApiError(Exception):
    """An error answer: status, DigitalOcean error id and message."""

    def __init__(self, status: int, error_id: str, message: str):
        super().__init__(message)
        self.status, self.error_id, self.message = status, error_id, message


def not_found(what="The resource you were accessing could not be found."):
    return ApiError(404, "not_found", what)


def unprocessable(message):
    return ApiError(422, "unprocessable_entity", message)


@dataclass
class Record:
    """One request as the stand-in saw it."""

    method: str
    path: str
    query: dict
    status: int
    request: object
    response: object
    route: str | None  # the spec's templated path, None when unrouted
    authorized: bool


@dataclass
class State:
    """Everything the account holds."""

    account_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    ssh_keys: dict = field(default_factory=dict)  # id -> dict
    droplets: dict = field(default_factory=dict)  # id -> dict (internal form)
    actions: dict = field(default_factory=dict)  # id -> dict
    tags: dict = field(default_factory=dict)  # name -> created_at
    firewalls: dict = field(default_factory=dict)  # id -> dict
    vpcs: dict = field(default_factory=dict)  # id -> dict
    reserved_ips: dict = field(default_factory=dict)  # ip -> dict
    projects: dict = field(default_factory=dict)  # id -> dict
    assignments: dict = field(default_factory=dict)  # urn -> (project id, assigned_at)
    counter: int = 0

    def next_id(self, base: int) -> int:
        self.counter += 1
        return base + self.counter


class DigitalOceanStandIn:
    """The API's behaviour; HTTP is in :class:`StandInServer`."""

    def __init__(self, token: str, boot_seconds: float = 0.0):
        self.token = token
        self.boot_seconds = boot_seconds
        self.state = State()
        self.lock = threading.RLock()
        self.routes = []
        for method, template, handler in self._route_table():
            regexp = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"([^/]+)", re.escape(template)) + "$")
            self.routes.append((method, regexp, template, handler))
        self._seed()

    # ---------------------------------------------------------------- seeding
    def _seed(self):
        """A fresh account: its default project."""
        project_id = str(uuid.uuid4())
        self.state.projects[project_id] = {
            "id": project_id, "owner_uuid": self.state.account_uuid, "owner_id": 258992,
            "name": "first-project", "description": "Update your project information under Settings",
            "purpose": "Just trying out DigitalOcean", "environment": "Development",
            "created_at": now(), "updated_at": now(), "is_default": True,
        }

    # ---------------------------------------------------------------- routing
    def _route_table(self):
        return [
            ("GET", "/v2/account", self.get_account),
            ("GET", "/v2/account/keys", self.list_keys),
            ("POST", "/v2/account/keys", self.create_key),
            ("GET", "/v2/account/keys/{ssh_key_identifier}", self.get_key),
            ("DELETE", "/v2/account/keys/{ssh_key_identifier}", self.delete_key),
            ("GET", "/v2/droplets", self.list_droplets),
            ("POST", "/v2/droplets", self.create_droplet),
            ("GET", "/v2/droplets/{droplet_id}", self.get_droplet),
            ("DELETE", "/v2/droplets/{droplet_id}", self.delete_droplet),
            ("GET", "/v2/tags", self.list_tags),
            ("POST", "/v2/tags", self.create_tag),
            ("GET", "/v2/tags/{tag_id}", self.get_tag),
            ("DELETE", "/v2/tags/{tag_id}", self.delete_tag),
            ("GET", "/v2/firewalls", self.list_firewalls),
            ("POST", "/v2/firewalls", self.create_firewall),
            ("PUT", "/v2/firewalls/{firewall_id}", self.update_firewall),
            ("DELETE", "/v2/firewalls/{firewall_id}", self.delete_firewall),
            ("GET", "/v2/vpcs", self.list_vpcs),
            ("POST", "/v2/vpcs", self.create_vpc),
            ("PUT", "/v2/vpcs/{vpc_id}", self.update_vpc),
            ("DELETE", "/v2/vpcs/{vpc_id}", self.delete_vpc),
            ("GET", "/v2/reserved_ips", self.list_reserved_ips),
            ("POST", "/v2/reserved_ips", self.create_reserved_ip),
            ("DELETE", "/v2/reserved_ips/{reserved_ip}", self.delete_reserved_ip),
            ("POST", "/v2/reserved_ips/{reserved_ip}/actions", self.post_reserved_ip_action),
            ("GET", "/v2/reserved_ips/{reserved_ip}/actions/{action_id}", self.get_reserved_ip_action),
            ("GET", "/v2/projects", self.list_projects),
            ("POST", "/v2/projects", self.create_project),
            ("DELETE", "/v2/projects/{project_id}", self.delete_project),
            ("GET", "/v2/projects/{project_id}/resources", self.list_project_resources),
            ("POST", "/v2/projects/{project_id}/resources", self.assign_project_resources),
        ]

    @property
    def operations(self):
        """The (method, templated path) pairs implemented."""
        return {(method, template) for method, _, template, _ in self.routes}

    def handle(self, method, path, query, headers, body, base):
        """Answer one request: (status, JSON-able body or None, route template)."""
        route = None
        for route_method, regexp, template, handler in self.routes:
            match = regexp.match(path)
            if match and route_method == method:
                route = template
                break
        else:
            handler, match = None, None
        if headers.get("Authorization", "") != f"Bearer {self.token}":
            return 401, error_body(401, "Unauthorized", "Unable to authenticate you"), route, False
        if handler is None:
            return 404, error_body(404, "not_found", f"The stand-in does not implement {method} {path}"), None, True
        try:
            with self.lock:
                status, payload = handler(*match.groups(), query=query, body=body, base=base)
        except ApiError as error:
            return error.status, error_body(error.status, error.error_id, error.message), route, True
        return status, payload, route, True

    # ------------------------------------------------------------- utilities
    @staticmethod
    def paginate(items, key, query, base, path, extra_query=None):
        try:
            page = max(1, int(query.get("page", 1)))
            per_page = min(MAX_PER_PAGE, max(1, int(query.get("per_page", DEFAULT_PER_PAGE))))
        except ValueError:
            raise ApiError(400, "bad_request", "page and per_page must be integers")
        total = len(items)
        last = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]

        def url(number):
            params = dict(extra_query or {}, page=number, per_page=per_page)
            return f"{base}{path}?{urlencode(params)}"

        pages = {}
        if page > 1:
            pages.update(first=url(1), prev=url(page - 1))
        if page < last:
            pages.update(next=url(page + 1), last=url(last))
        links = {"pages": pages} if pages else {}
        return {key: chunk, "links": links, "meta": {"total": total}}

    @staticmethod
    def body_dict(body):
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "bad_request", "The request body must be a JSON object.")
        return body

    def region_object(self, slug):
        return {
            "name": REGIONS[slug], "slug": slug, "features": list(REGION_FEATURES),
            "available": True, "sizes": list(SIZES),
        }

    def new_action(self, kind, resource_type, resource_id, region, **extra):
        action_id = self.state.next_id(2_000_000_000)
        self.state.actions[action_id] = {
            "id": action_id, "status": "in-progress", "type": kind, "started_at": now(),
            "completed_at": None, "resource_id": resource_id, "resource_type": resource_type,
            "region": region, **extra,
        }
        return action_id

    def action_object(self, action_id, complete=False):
        action = self.state.actions[action_id]
        if complete and action["status"] == "in-progress":
            action.update(status="completed", completed_at=now())
        result = {key: value for key, value in action.items() if key != "region"}
        result["region"] = self.region_object(action["region"])
        result["region_slug"] = action["region"]
        return result

    # ---------------------------------------------------------------- account
    def get_account(self, query, body, base):
        return 200, {"account": {
            "droplet_limit": 25, "floating_ip_limit": 3, "volume_limit": 100,
            "email": "ops@example.com", "name": "Stand-in Operator", "uuid": self.state.account_uuid,
            "email_verified": True, "status": "active", "status_message": "",
            "team": {"uuid": str(uuid.UUID(int=1)), "name": "My Team"},
        }}

    # --------------------------------------------------------------- SSH keys
    @staticmethod
    def fingerprint(public_key):
        parts = str(public_key).split()
        if len(parts) < 2 or not parts[0].startswith(("ssh-", "ecdsa-")):
            raise unprocessable("Key invalid type, we support 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp' and 'ssh-ed25519'")
        try:
            raw = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError):
            raise unprocessable("Key invalid, the public key could not be decoded")
        digest = hashlib.md5(raw).hexdigest()  # noqa: S324 - DigitalOcean's fingerprint format
        return ":".join(digest[i:i + 2] for i in range(0, 32, 2))

    def find_key(self, identifier):
        for key in self.state.ssh_keys.values():
            if str(key["id"]) == identifier or key["fingerprint"] == identifier:
                return key
        raise not_found()

    def list_keys(self, query, body, base):
        keys = [dict(key) for key in sorted(self.state.ssh_keys.values(), key=lambda k: k["id"])]
        return 200, self.paginate(keys, "ssh_keys", query, base, "/v2/account/keys")

    def create_key(self, query, body, base):
        body = self.body_dict(body)
        if not body.get("name") or not body.get("public_key"):
            raise unprocessable("name and public_key are required")
        fingerprint = self.fingerprint(body["public_key"])
        if any(key["fingerprint"] == fingerprint for key in self.state.ssh_keys.values()):
            raise unprocessable("SSH Key is already in use on your account")
        key_id = self.state.next_id(40_000_000)
        key = {"id": key_id, "fingerprint": fingerprint, "public_key": body["public_key"].strip(), "name": body["name"]}
        self.state.ssh_keys[key_id] = key
        return 201, {"ssh_key": dict(key)}

    def get_key(self, identifier, query, body, base):
        return 200, {"ssh_key": dict(self.find_key(identifier))}

    def delete_key(self, identifier, query, body, base):
        del self.state.ssh_keys[self.find_key(identifier)["id"]]
        return 204, None

    # --------------------------------------------------------------- droplets
    def droplet_record(self, droplet_id, boot=True):
        """The droplet's internal record; one read after its boot time, it is active."""
        try:
            droplet = self.state.droplets[int(droplet_id)]
        except (KeyError, ValueError, TypeError):
            raise not_found()
        if boot and droplet["status"] == "new" and time.monotonic() - droplet["booted_from"] >= self.boot_seconds:
            droplet["status"] = "active"
        return droplet

    def droplet_object(self, droplet_id, boot=True):
        droplet = self.droplet_record(droplet_id, boot)
        memory, vcpus, disk, transfer, price = SIZES[droplet["size"]]
        image_id, image_name, distribution, min_disk, image_size = IMAGES[droplet["image"]]
        booted = droplet["status"] != "new"
        vpc = self.state.vpcs[droplet["vpc_uuid"]]
        v4 = []
        if booted:
            network = ipaddress.ip_network(vpc["ip_range"])
            v4 = [
                {"ip_address": droplet["private_ip"], "netmask": str(network.netmask),
                 "gateway": str(network.network_address + 1), "type": "private"},
                {"ip_address": droplet["public_ip"], "netmask": "255.255.255.0",
                 "gateway": str(PUBLIC_POOL.network_address + 1), "type": "public"},
            ]
        features = ["droplet_agent", "private_networking"] + (["monitoring"] if droplet["monitoring"] else [])
        return {
            "id": droplet["id"], "name": droplet["name"], "memory": memory, "vcpus": vcpus, "disk": disk,
            "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
            "locked": False, "status": droplet["status"], "kernel": None, "created_at": droplet["created_at"],
            "features": features, "backup_ids": [], "next_backup_window": None, "snapshot_ids": [],
            "image": {
                "id": image_id, "name": image_name, "distribution": distribution, "slug": droplet["image"],
                "public": True, "regions": list(REGIONS), "created_at": CREATED_AT_IMAGES, "type": "base",
                "min_disk_size": min_disk, "size_gigabytes": image_size, "description": f"{distribution} {image_name}",
                "tags": [], "status": "available", "error_message": "",
            },
            "volume_ids": [],
            "size": {
                "slug": droplet["size"], "memory": memory, "vcpus": vcpus, "disk": disk, "transfer": transfer,
                "price_monthly": price, "price_hourly": round(price / 672, 5), "regions": list(REGIONS),
                "available": True, "description": "Basic",
                "disk_info": [{"type": "local", "size": {"amount": disk, "unit": "gib"}}],
            },
            "size_slug": droplet["size"],
            "networks": {"v4": v4, "v6": []},
            "region": self.region_object(droplet["region"]),
            "tags": list(droplet["tags"]),
            "vpc_uuid": droplet["vpc_uuid"],
        }

    def list_droplets(self, query, body, base):
        droplets = sorted(self.state.droplets.values(), key=lambda d: d["id"])
        extra = {}
        if "tag_name" in query:
            droplets = [d for d in droplets if query["tag_name"] in d["tags"]]
            extra["tag_name"] = query["tag_name"]
        if "name" in query:
            droplets = [d for d in droplets if d["name"] == query["name"]]
            extra["name"] = query["name"]
        objects = [self.droplet_object(d["id"]) for d in droplets]
        return 200, self.paginate(objects, "droplets", query, base, "/v2/droplets", extra)

    def default_vpc(self, region):
        for vpc in self.state.vpcs.values():
            if vpc["region"] == region and vpc["default"]:
                return vpc
        return self._add_vpc(f"default-{region}", region, "", None, default=True)

    def create_droplet(self, query, body, base):
        body = self.body_dict(body)
        if "names" in body:
            raise unprocessable("The stand-in creates one droplet per request (no 'names').")
        name, size, image, region = (body.get(key) for key in ("name", "size", "image", "region"))
        if not name or not DROPLET_NAME.match(str(name)):
            raise unprocessable("Name is invalid: only a-z, A-Z, 0-9, . and - are allowed.")
        if size not in SIZES:
            raise unprocessable("You specified an invalid size for Droplet creation.")
        if isinstance(image, int) or str(image).isdigit():
            image = next((slug for slug, spec in IMAGES.items() if spec[0] == int(image)), None)
        if image not in IMAGES:
            raise unprocessable("You specified an invalid image for Droplet creation.")
        if region not in REGIONS:
            raise unprocessable("You specified an invalid region for Droplet creation.")
        if len(self.state.droplets) >= 25:
            raise unprocessable("You have reached your droplet limit of 25.")
        for identifier in body.get("ssh_keys") or []:
            try:
                self.find_key(str(identifier))
            except ApiError:
                raise unprocessable(f"The SSH key {identifier} does not exist on your account.")
        tags = list(dict.fromkeys(body.get("tags") or []))
        for tag in tags:
            if not TAG_NAME.match(str(tag)):
                raise unprocessable(f"Tag name {tag!r} is invalid: letters, numbers, ':', '-' and '_' only.")
        if body.get("vpc_uuid"):
            vpc = self.state.vpcs.get(body["vpc_uuid"])
            if vpc is None:
                raise unprocessable("The VPC to which you are attempting to add this Droplet does not exist.")
            if vpc["region"] != region:
                raise unprocessable("The VPC must be in the same region as the Droplet.")
        else:
            vpc = self.default_vpc(region)
        for tag in tags:
            self.state.tags.setdefault(tag, now())
        droplet_id = self.state.next_id(500_000_000)
        self.state.droplets[droplet_id] = {
            "id": droplet_id, "name": name, "size": size, "image": image, "region": region,
            "tags": tags, "vpc_uuid": vpc["id"], "status": "new", "created_at": now(),
            "booted_from": time.monotonic(), "monitoring": bool(body.get("monitoring")),
            "public_ip": self._allocate(PUBLIC_POOL, self._used_public()),
            "private_ip": self._allocate(ipaddress.ip_network(vpc["ip_range"]), self._used_private(vpc["id"])),
        }
        self._assign(f"do:droplet:{droplet_id}", self._default_project()["id"])
        action_id = self.new_action("create", "droplet", droplet_id, region)
        return 202, {
            "droplet": self.droplet_object(droplet_id, boot=False),
            "links": {"actions": [{"id": action_id, "rel": "create", "href": f"{base}/v2/actions/{action_id}"}]},
        }

    def _used_public(self):
        return {d["public_ip"] for d in self.state.droplets.values()}

    def _used_private(self, vpc_id):
        return {d["private_ip"] for d in self.state.droplets.values() if d["vpc_uuid"] == vpc_id}

    @staticmethod
    def _allocate(network, used):
        for index, address in enumerate(network.hosts()):
            if index >= 1 and str(address) not in used:  # .1 is the gateway
                return str(address)
        raise unprocessable(f"No free address left in {network}")

    def get_droplet(self, droplet_id, query, body, base):
        return 200, {"droplet": self.droplet_object(droplet_id)}

    def delete_droplet(self, droplet_id, query, body, base):
        droplet = self.droplet_record(droplet_id)
        del self.state.droplets[droplet["id"]]
        for firewall in self.state.firewalls.values():
            firewall["droplet_ids"] = [i for i in firewall["droplet_ids"] if i != droplet["id"]]
        for reserved in self.state.reserved_ips.values():
            if reserved["droplet_id"] == droplet["id"]:
                reserved["droplet_id"] = None
        self.state.assignments.pop(f"do:droplet:{droplet['id']}", None)
        return 204, None

    # ------------------------------------------------------------------- tags
    def tag_object(self, name):
        droplets = [d for d in self.state.droplets.values() if name in d["tags"]]
        last = f"/v2/droplets/{droplets[-1]['id']}" if droplets else ""
        empty = {"count": 0, "last_tagged_uri": ""}
        return {"name": name, "resources": {
            "count": len(droplets), "last_tagged_uri": last,
            "droplets": {"count": len(droplets), "last_tagged_uri": last},
            "imgages": dict(empty), "volumes": dict(empty), "volume_snapshots": dict(empty), "databases": dict(empty),
        }}

    def list_tags(self, query, body, base):
        return 200, self.paginate([self.tag_object(name) for name in sorted(self.state.tags)], "tags", query, base, "/v2/tags")

    def create_tag(self, query, body, base):
        name = self.body_dict(body).get("name")
        if not name or not TAG_NAME.match(str(name)):
            raise ApiError(400, "bad_request", "Tag names may only contain letters, numbers, ':', '-' and '_'.")
        self.state.tags.setdefault(name, now())
        return 201, {"tag": self.tag_object(name)}

    def get_tag(self, name, query, body, base):
        if name not in self.state.tags:
            raise not_found()
        return 200, {"tag": self.tag_object(name)}

    def delete_tag(self, name, query, body, base):
        if name not in self.state.tags:
            raise not_found()
        del self.state.tags[name]
        for droplet in self.state.droplets.values():
            droplet["tags"] = [tag for tag in droplet["tags"] if tag != name]
        for firewall in self.state.firewalls.values():
            firewall["tags"] = [tag for tag in firewall["tags"] if tag != name]
        return 204, None

    # -------------------------------------------------------------- firewalls
    def _targets(self, raw, where):
        raw = raw or {}
        if not isinstance(raw, dict):
            raise unprocessable(f"{where} must be an object")
        target = {}
        for key in ("addresses", "load_balancer_uids", "kubernetes_ids", "tags"):
            if raw.get(key):
                target[key] = [str(value) for value in raw[key]]
        for address in target.get("addresses", []):
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError:
                raise unprocessable(f"{address} is not a valid IP address or CIDR block.")
        for tag in target.get("tags", []):
            if tag not in self.state.tags:
                raise unprocessable(f"tag {tag} does not exist")
        if raw.get("droplet_ids"):
            target["droplet_ids"] = [self.droplet_record(i)["id"] for i in raw["droplet_ids"]]
        if not target:
            raise unprocessable(f"{where}: at least one target is required")
        return target

    def _rules(self, raw, direction):
        rules = []
        targets = "sources" if direction == "inbound" else "destinations"
        for rule in raw or []:
            protocol = rule.get("protocol")
            if protocol not in ("tcp", "udp", "icmp"):
                raise unprocessable(f"protocol must be tcp, udp or icmp, not {protocol!r}")
            ports = str(rule.get("ports") or "")
            if protocol == "icmp":
                if ports not in ("",):
                    raise unprocessable("You must specify a positive value for ports.")
                ports = "0"
            elif ports == "all":
                ports = "0"
            else:
                match = PORTS.match(ports)
                low, high = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
                if not match or not 1 <= low <= high <= 65535:
                    raise unprocessable("You must specify a positive value for ports.")
            rules.append({"protocol": protocol, "ports": ports,
                          targets: self._targets(rule.get(targets), f"{direction} rule {targets}")})
        return rules

    def _firewall_fields(self, body, firewall_id=None):
        body = self.body_dict(body)
        name = body.get("name")
        if not name or not FIREWALL_NAME.match(str(name)):
            raise unprocessable("Name must contain only letters, numbers, dots and dashes.")
        if any(f["name"] == name and f["id"] != firewall_id for f in self.state.firewalls.values()):
            raise unprocessable(f"A firewall named {name} already exists.")
        inbound = self._rules(body.get("inbound_rules"), "inbound")
        outbound = self._rules(body.get("outbound_rules"), "outbound")
        if not inbound and not outbound:
            raise unprocessable("At least one inbound or outbound rule is required.")
        tags = [str(tag) for tag in body.get("tags") or []]
        for tag in tags:
            if tag not in self.state.tags:
                raise unprocessable(f"tag {tag} does not exist")
        droplet_ids = [self.droplet_record(i)["id"] for i in body.get("droplet_ids") or []]
        return {"name": name, "inbound_rules": inbound, "outbound_rules": outbound,
                "droplet_ids": droplet_ids, "tags": tags}

    def firewall_object(self, firewall_id):
        firewall = self.state.firewalls[firewall_id]
        return {
            "id": firewall["id"], "name": firewall["name"], "status": "succeeded",
            "created_at": firewall["created_at"], "pending_changes": [],
            "inbound_rules": json.loads(json.dumps(firewall["inbound_rules"])),
            "outbound_rules": json.loads(json.dumps(firewall["outbound_rules"])),
            "droplet_ids": list(firewall["droplet_ids"]), "tags": list(firewall["tags"]),
        }

    def find_firewall(self, firewall_id):
        if firewall_id not in self.state.firewalls:
            raise not_found()
        return firewall_id

    def list_firewalls(self, query, body, base):
        ordered = sorted(self.state.firewalls.values(), key=lambda f: f["created_at"] + f["id"])
        return 200, self.paginate([self.firewall_object(f["id"]) for f in ordered], "firewalls", query, base, "/v2/firewalls")

    def create_firewall(self, query, body, base):
        fields = self._firewall_fields(body)
        firewall_id = str(uuid.uuid4())
        self.state.firewalls[firewall_id] = {"id": firewall_id, "created_at": now(), **fields}
        return 202, {"firewall": self.firewall_object(firewall_id)}

    def update_firewall(self, firewall_id, query, body, base):
        self.find_firewall(firewall_id)
        self.state.firewalls[firewall_id].update(self._firewall_fields(body, firewall_id))
        return 200, {"firewall": self.firewall_object(firewall_id)}

    def delete_firewall(self, firewall_id, query, body, base):
        del self.state.firewalls[self.find_firewall(firewall_id)]
        return 204, None

    # ------------------------------------------------------------------- VPCs
    def _add_vpc(self, name, region, description, ip_range, default=False):
        taken = [ipaddress.ip_network(v["ip_range"]) for v in self.state.vpcs.values()]
        if ip_range:
            try:
                network = ipaddress.ip_network(ip_range)
            except ValueError:
                raise unprocessable(f"ip_range {ip_range} is not a valid CIDR block.")
            if not network.is_private or network.version != 4 or not 16 <= network.prefixlen <= 28:
                raise unprocessable("ip_range must be a private IPv4 range between /16 and /28.")
            if any(network.overlaps(other) for other in taken):
                raise unprocessable(f"ip_range {ip_range} overlaps with an existing VPC.")
        else:
            network = next(n for n in ipaddress.ip_network("10.100.0.0/14").subnets(new_prefix=20)
                           if not any(n.overlaps(other) for other in taken))
        vpc_id = str(uuid.uuid4())
        self.state.vpcs[vpc_id] = {
            "id": vpc_id, "urn": f"do:vpc:{vpc_id}", "name": name, "description": description or "",
            "region": region, "ip_range": str(network), "default": default, "created_at": now(),
        }
        return self.state.vpcs[vpc_id]

    def find_vpc(self, vpc_id):
        if vpc_id not in self.state.vpcs:
            raise not_found()
        return self.state.vpcs[vpc_id]

    def list_vpcs(self, query, body, base):
        ordered = sorted(self.state.vpcs.values(), key=lambda v: v["created_at"] + v["id"])
        return 200, self.paginate([dict(v) for v in ordered], "vpcs", query, base, "/v2/vpcs")

    def create_vpc(self, query, body, base):
        body = self.body_dict(body)
        name, region = body.get("name"), body.get("region")
        if not name or not VPC_NAME.match(str(name)):
            raise unprocessable("VPC names may only contain letters, numbers, dashes and periods.")
        if any(v["name"] == name for v in self.state.vpcs.values()):
            raise unprocessable(f"A VPC named {name} already exists on your account.")
        if region not in REGIONS:
            raise unprocessable("You specified an invalid region.")
        return 201, {"vpc": dict(self._add_vpc(name, region, body.get("description"), body.get("ip_range")))}

    def update_vpc(self, vpc_id, query, body, base):
        vpc = self.find_vpc(vpc_id)
        body = self.body_dict(body)
        if not body.get("name") or not VPC_NAME.match(str(body["name"])):
            raise unprocessable("VPC names may only contain letters, numbers, dashes and periods.")
        vpc["name"] = body["name"]
        if "description" in body:
            vpc["description"] = body["description"] or ""
        if body.get("default") is True:
            for other in self.state.vpcs.values():
                if other["region"] == vpc["region"]:
                    other["default"] = other["id"] == vpc_id
        return 200, {"vpc": dict(vpc)}

    def delete_vpc(self, vpc_id, query, body, base):
        vpc = self.find_vpc(vpc_id)
        if vpc["default"]:
            raise ApiError(403, "forbidden", "A default VPC cannot be deleted.")
        if any(d["vpc_uuid"] == vpc_id for d in self.state.droplets.values()):
            raise ApiError(403, "forbidden", "Can not delete VPC with members")
        del self.state.vpcs[vpc_id]
        return 204, None

    # ----------------------------------------------------------- reserved IPs
    def reserved_object(self, ip):
        reserved = self.state.reserved_ips[ip]
        droplet = reserved["droplet_id"]
        return {
            "ip": ip, "region": self.region_object(reserved["region"]),
            "droplet": self.droplet_object(droplet) if droplet else None,
            "locked": False,
            "project_id": self.state.assignments.get(f"do:floatingip:{ip}", (self._default_project()["id"],))[0],
        }

    def find_reserved(self, ip):
        if ip not in self.state.reserved_ips:
            raise not_found()
        return self.state.reserved_ips[ip]

    def list_reserved_ips(self, query, body, base):
        ordered = sorted(self.state.reserved_ips, key=lambda ip: ipaddress.ip_address(ip))
        return 200, self.paginate([self.reserved_object(ip) for ip in ordered], "reserved_ips", query, base, "/v2/reserved_ips")

    def create_reserved_ip(self, query, body, base):
        body = self.body_dict(body)
        if len(self.state.reserved_ips) >= 3:
            raise unprocessable("You have reached the limit of 3 reserved IPs.")
        droplet_id, project_id = None, None
        if body.get("droplet_id") is not None:
            droplet = self.droplet_record(body["droplet_id"])
            droplet_id, region = droplet["id"], droplet["region"]
        else:
            region = body.get("region")
            if region not in REGIONS:
                raise unprocessable("You must specify a valid region or droplet_id.")
            project_id = body.get("project_id")
            if project_id is not None and project_id not in self.state.projects:
                raise unprocessable(f"Project {project_id} does not exist.")
        ip = self._allocate(RESERVED_POOL, set(self.state.reserved_ips))
        self.state.reserved_ips[ip] = {"region": region, "droplet_id": droplet_id}
        self._assign(f"do:floatingip:{ip}", project_id or self._default_project()["id"])
        links = {"droplets": [], "actions": []}
        if droplet_id:
            action_id = self.new_action("assign_ip", "reserved_ip", None, region)
            links = {"droplets": [{"id": droplet_id, "rel": "droplet", "href": f"{base}/v2/droplets/{droplet_id}"}],
                     "actions": [{"id": action_id, "rel": "assign_ip", "href": f"{base}/v2/actions/{action_id}"}]}
        return 202, {"reserved_ip": self.reserved_object(ip), "links": links}

    def delete_reserved_ip(self, ip, query, body, base):
        self.find_reserved(ip)
        del self.state.reserved_ips[ip]
        self.state.assignments.pop(f"do:floatingip:{ip}", None)
        return 204, None

    def post_reserved_ip_action(self, ip, query, body, base):
        reserved = self.find_reserved(ip)
        body = self.body_dict(body)
        if body.get("type") == "assign":
            if body.get("droplet_id") is None:
                raise unprocessable("droplet_id is required to assign a reserved IP.")
            droplet = self.droplet_record(body["droplet_id"])
            if droplet["region"] != reserved["region"]:
                raise unprocessable("The reserved IP and the Droplet must be in the same region.")
            reserved["droplet_id"] = droplet["id"]
            kind = "assign_ip"
        elif body.get("type") == "unassign":
            reserved["droplet_id"] = None
            kind = "unassign_ip"
        else:
            raise unprocessable("type must be assign or unassign")
        project = self.state.assignments.get(f"do:floatingip:{ip}", (self._default_project()["id"],))[0]
        action_id = self.new_action(kind, "reserved_ip", int(ipaddress.ip_address(ip)), reserved["region"],
                                    project_id=project, ip=ip)
        return 201, {"action": self._reserved_action_object(action_id)}

    def _reserved_action_object(self, action_id, complete=False):
        action = self.action_object(action_id, complete)
        action.pop("ip", None)
        return action

    def get_reserved_ip_action(self, ip, action_id, query, body, base):
        self.find_reserved(ip)
        action = self.state.actions.get(int(action_id)) if action_id.isdigit() else None
        if action is None or action.get("ip") != ip:
            raise not_found()
        return 200, {"action": self._reserved_action_object(action["id"], complete=True)}

    # --------------------------------------------------------------- projects
    def _default_project(self):
        return next(p for p in self.state.projects.values() if p["is_default"])

    def _assign(self, urn, project_id):
        self.state.assignments[urn] = (project_id, now())

    def find_project(self, project_id):
        if project_id == "default":
            return self._default_project()
        if project_id not in self.state.projects:
            raise not_found()
        return self.state.projects[project_id]

    def list_projects(self, query, body, base):
        ordered = sorted(self.state.projects.values(), key=lambda p: (not p["is_default"], p["created_at"], p["id"]))
        return 200, self.paginate([dict(p) for p in ordered], "projects", query, base, "/v2/projects")

    def create_project(self, query, body, base):
        body = self.body_dict(body)
        if not body.get("name") or not body.get("purpose"):
            raise unprocessable("name and purpose are required")
        if len(str(body["name"])) > 175:
            raise unprocessable("name is too long (175 characters at most)")
        if body.get("environment") not in (None, "Development", "Staging", "Production"):
            raise unprocessable("environment must be Development, Staging or Production")
        project_id = str(uuid.uuid4())
        self.state.projects[project_id] = {
            "id": project_id, "owner_uuid": self.state.account_uuid, "owner_id": 258992,
            "name": body["name"], "description": body.get("description") or "", "purpose": body["purpose"],
            "environment": body.get("environment") or "Development",
            "created_at": now(), "updated_at": now(), "is_default": False,
        }
        return 201, {"project": dict(self.state.projects[project_id])}

    def _resources_of(self, project_id, base):
        return [
            {"urn": urn, "assigned_at": assigned_at, "links": {"self": self._resource_link(urn, base)}, "status": "ok"}
            for urn, (owner, assigned_at) in sorted(self.state.assignments.items()) if owner == project_id
        ]

    @staticmethod
    def _resource_link(urn, base):
        kind, _, ident = urn[3:].partition(":")
        return {"droplet": f"{base}/v2/droplets/{ident}", "floatingip": f"{base}/v2/reserved_ips/{ident}"}[kind]

    def delete_project(self, project_id, query, body, base):
        project = self.find_project(project_id)
        if project["is_default"]:
            raise ApiError(412, "precondition_failed", "cannot delete the default project")
        if self._resources_of(project["id"], ""):
            raise ApiError(412, "precondition_failed", "cannot delete a project with resources")
        del self.state.projects[project["id"]]
        return 204, None

    def list_project_resources(self, project_id, query, body, base):
        project = self.find_project(project_id)
        return 200, self.paginate(self._resources_of(project["id"], base), "resources", query, base,
                                  f"/v2/projects/{project_id}/resources")

    def assign_project_resources(self, project_id, query, body, base):
        project = self.find_project(project_id)
        urns = self.body_dict(body).get("resources") or []
        answers = []
        for urn in urns:
            kind, _, ident = str(urn)[3:].partition(":") if str(urn).startswith("do:") else ("", "", "")
            exists = (kind == "droplet" and ident.isdigit() and int(ident) in self.state.droplets) or (
                kind == "floatingip" and ident in self.state.reserved_ips)
            if not exists:
                answers.append({"urn": str(urn), "assigned_at": now(), "links": {"self": f"{base}/v2/projects"},
                                "status": "not_found"})
                continue
            self._assign(urn, project["id"])
            answers.append({"urn": urn, "assigned_at": self.state.assignments[urn][1],
                            "links": {"self": self._resource_link(urn, base)}, "status": "ok"})
        return 200, {"resources": answers}


def error_body(status, error_id, message):
    return {"id": error_id, "message": message, "request_id": str(uuid.uuid4())}


class StandInServer:
    """The stand-in over HTTP on 127.0.0.1, in a background thread.

    ``server.api`` is the :class:`DigitalOceanStandIn` (state included),
    ``server.log`` the list of :class:`Record`, ``server.baseurl`` what to give
    the modules' and the inventory plugin's ``baseurl``.
    """

    def __init__(self, token: str = "stand-in-token", boot_seconds: float = 0.0):
        self.api = DigitalOceanStandIn(token, boot_seconds)
        self.log: list[Record] = []
        self._log_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="do-standin", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def baseurl(self) -> str:
        return f"{self.origin}/v2"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def get(self, path, **query):
        """Read the state through the API without logging it (for assertions)."""
        status, payload, _, _ = self.api.handle(
            "GET", path, {k: str(v) for k, v in query.items()}, {"Authorization": f"Bearer {self.api.token}"}, None, self.origin)
        if status != 200:
            raise AssertionError(f"GET {path}: {status} {payload}")
        return payload

    def call(self, method, path, body=None, token=None):
        """A request over HTTP, as a client would send it (logged): (status, JSON body or None)."""
        request = urllib.request.Request(
            self.origin + path, method=method, data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.api.token if token is None else token}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - 127.0.0.1 only
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def requests(self, method=None, route=None):
        with self._log_lock:
            return [r for r in self.log if (method is None or r.method == method) and (route is None or r.route == route)]

    def clear_log(self):
        with self._log_lock:
            self.log.clear()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "do-standin/1"

            def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
                pass

            def _serve(self):
                parts = urlsplit(self.path)
                query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw.strip() else None
                except ValueError:
                    self._answer(400, error_body(400, "bad_request", "The request body is not valid JSON."))
                    server._record(self.command, parts.path, query, 400, raw.decode(errors="replace"), None, None, True)
                    return
                status, payload, route, authorized = server.api.handle(
                    self.command, parts.path, query, self.headers, body, f"http://{self.headers.get('Host', '127.0.0.1')}")
                self._answer(status, payload)
                server._record(self.command, parts.path, query, status, body, payload, route, authorized)

            def _answer(self, status, payload):
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("ratelimit-limit", "5000")
                self.send_header("ratelimit-remaining", "4999")
                self.send_header("ratelimit-reset", str(int(time.time()) + 60))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        return Handler

    def _record(self, method, path, query, status, request, response, route, authorized):
        with self._log_lock:
            self.log.append(Record(method, path, query, status, request, response, route, authorized))
