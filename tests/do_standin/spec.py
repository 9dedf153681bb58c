"""DigitalOcean's OpenAPI spec, split across files, and response validation.

The spec lives in the shared vendor directory (``DigitalOcean-public.v2.yaml``
plus ``resources/**`` and ``shared/**`` files joined by relative ``$ref``s,
even for whole operations). Files are loaded lazily into a ``referencing``
registry keyed by their ``file://`` URI, so every relative reference resolves
against the file it appears in, exactly as the spec's authors wrote it.
Schemas are OpenAPI 3.0 (``nullable``, ``readOnly``...): responses are checked
with openapi-schema-validator's OAS 3.0 read validator and format checker.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlparse

import yaml
from jsonschema.exceptions import best_match
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

ENTRY = "DigitalOcean-public.v2.yaml"


def default_spec_dir() -> Path:
    """The vendor spec beside the repository (../shared/vendor-specs/...), or $DO_OPENAPI_SPEC_DIR."""
    if os.environ.get("DO_OPENAPI_SPEC_DIR"):
        return Path(os.environ["DO_OPENAPI_SPEC_DIR"])
    root = Path(__file__).resolve().parents[2]
    return root.parent / "shared" / "vendor-specs" / "digitalocean-openapi"


class _SafeLoader(yaml.SafeLoader):
    """YAML 1.1 would read unquoted dates as datetimes; keep them strings like JSON does."""


_SafeLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@lru_cache(maxsize=None)
def _load_file(path: str):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass


def _retrieve(uri: str) -> Resource:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise LookupError(f"only file references are followed: {uri}")
    return Resource.from_contents(_load_file(unquote(parsed.path)), default_specification=DRAFT4)


@dataclass(frozen=True)
class Operation:
    path: str  # templated path as in the spec, e.g. /v2/droplets/{droplet_id}
    method: str
    uri: str  # file:// URI of the operation object (base for its $refs)
    operation_id: str
    statuses: tuple[str, ...]


class Spec:
    """Path matching and response validation against DigitalOcean's OpenAPI spec."""

    def __init__(self, spec_dir: Path | None = None):
        self.dir = Path(spec_dir or default_spec_dir()).resolve()
        entry = self.dir / ENTRY
        if not entry.is_file():
            raise FileNotFoundError(f"DigitalOcean OpenAPI spec not found at {entry}")
        self.entry_uri = entry.as_uri()
        self.registry = Registry(retrieve=_retrieve)
        self.resolver = self.registry.resolver(base_uri=self.entry_uri)
        self.paths = _load_file(str(entry))["paths"]
        self._matchers = [
            (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(path)) + "$"), path)
            for path in self.paths
        ]
        # Literal paths first: /v2/projects/default must not match /v2/projects/{project_id}.
        self._matchers.sort(key=lambda item: item[1].count("{"))

    def _resolve(self, node, base_uri):
        """Follow $ref chains; return (node, uri of the file it came from)."""
        while isinstance(node, dict) and "$ref" in node:
            target = urljoin(base_uri, node["$ref"])
            resolved = self.resolver.lookup(target)
            node, base_uri = resolved.contents, urldefrag(target).url
        return node, base_uri

    def match(self, path: str) -> str | None:
        """The spec's templated path for a concrete request path (no query string)."""
        for regexp, templated in self._matchers:
            if regexp.match(path):
                return templated
        return None

    def operation(self, templated_path: str, method: str) -> Operation:
        item = self.paths[templated_path]
        if method.lower() not in item:
            raise KeyError(f"{method.upper()} {templated_path} is not in the spec")
        node, uri = self._resolve(item[method.lower()], self.entry_uri)
        return Operation(templated_path, method.upper(), uri, node.get("operationId", ""),
                         tuple(str(status) for status in node.get("responses", {})))

    def response_schema_ref(self, operation: Operation, status: int) -> str | None:
        """Absolute $ref of the JSON schema documented for this status (or None: no body)."""
        node, _ = self._resolve({"$ref": operation.uri}, operation.uri)
        responses = node.get("responses", {})
        key = str(status) if str(status) in responses else ("default" if "default" in responses else None)
        if key is None:
            raise KeyError(f"{operation.method} {operation.path} documents no response {status} "
                           f"(documented: {', '.join(operation.statuses)})")
        response, response_uri = self._resolve(responses[key], operation.uri)
        content = (response or {}).get("content") or {}
        if "application/json" not in content or "schema" not in content["application/json"]:
            return None
        # Point at the schema inside the file that holds the response object,
        # so its relative $refs resolve against that file.
        pointer = _pointer_of(response_uri, response, self, content)
        return pointer

    def scopes(self, templated_path: str, method: str) -> list[str]:
        """The token scopes the spec requires for an operation (custom-scoped tokens)."""
        operation = self.operation(templated_path, method)
        node, _ = self._resolve({"$ref": operation.uri}, operation.uri)
        return sorted({scope for requirement in node.get("security", []) for scopes in requirement.values() for scope in scopes})

    def validate_request(self, path: str, method: str, body) -> list[str]:
        """Problems of a request body against the operation's JSON request schema."""
        templated = self.match(path)
        if templated is None:
            return [f"{method} {path}: no such path in the spec"]
        operation = self.operation(templated, method)
        node, _ = self._resolve({"$ref": operation.uri}, operation.uri)
        request_body, body_uri = self._resolve(node.get("requestBody") or {}, operation.uri)
        if "application/json" not in (request_body.get("content") or {}):
            return [f"{method} {templated}: the spec documents no JSON request body"]
        if body_uri == operation.uri:
            pointer = f"{operation.uri}#/requestBody/content/application~1json/schema"
        else:
            pointer = f"{body_uri}#/content/application~1json/schema"
        validator = OAS30WriteValidator({"$ref": pointer}, registry=self.registry, format_checker=oas30_format_checker)
        return [f"{method} {templated} request: at {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}"
                for e in validator.iter_errors(body)]

    def validate_response(self, path: str, method: str, status: int, body) -> list[str]:
        """Return human-readable problems (empty list: the body matches the spec)."""
        templated = self.match(path)
        if templated is None:
            return [f"{method} {path}: no such path in the spec"]
        try:
            operation = self.operation(templated, method)
            ref = self.response_schema_ref(operation, status)
        except KeyError as error:
            return [str(error.args[0])]
        if ref is None:
            if body not in (None, b"", ""):
                return [f"{method} {templated} {status}: the spec documents no JSON body, got {body!r:.200}"]
            return []
        if body is None:
            return [f"{method} {templated} {status}: the spec documents a JSON body, got none"]
        validator = OAS30ReadValidator({"$ref": ref}, registry=self.registry, format_checker=oas30_format_checker)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        problems = []
        for error in errors:
            deepest = best_match([error]) if error.context else error
            where = "/".join(str(p) for p in deepest.absolute_path) or "(body)"
            problems.append(f"{method} {templated} {status} ({operation.operation_id}): at {where}: {deepest.message[:300]}")
        return problems


def _pointer_of(response_uri, response, spec, content):
    """JSON pointer URI of content/application~1json/schema within the response's file.

    A response reached through $ref is the root of its own file (or a named
    fragment of it); one written inline sits inside the operation file.
    """
    contents = spec.resolver.lookup(response_uri).contents
    if contents is response:
        return f"{response_uri}#/content/application~1json/schema"
    # The response object is a fragment of its file: find it by identity.
    found = _find(contents, response, "")
    if found is None:
        raise KeyError(f"cannot locate the response object in {response_uri}")
    return f"{response_uri}#{found}/content/application~1json/schema"


def _find(node, target, pointer):
    if node is target:
        return pointer
    if isinstance(node, dict):
        for key, value in node.items():
            escaped = str(key).replace("~", "~0").replace("/", "~1")
            hit = _find(value, target, f"{pointer}/{escaped}")
            if hit is not None:
                return hit
    elif isinstance(node, list):
        for index, value in enumerate(node):
            hit = _find(value, target, f"{pointer}/{index}")
            if hit is not None:
                return hit
    return None
