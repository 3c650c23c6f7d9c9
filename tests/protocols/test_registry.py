"""The protocol registry and what keeps protocol and scenario names in one place each, checked on the source.

Adding a protocol is one folder under ``protocols``, one entry in ``protocols.ADAPTERS`` and one endpoint
model in the profile schema; below the adapters, nothing names a protocol: layers ask the endpoint models
what they need (``credentials``, ``host_key_types``, ``certificate_names``). Scenario names are constants of
``scenarios.names``; a name typed again as a string is a check that a typo would silently disable.
"""

from __future__ import annotations

import ast
from pathlib import Path

from mockpartners.model._schema import ENDPOINT_MODELS, ENDPOINT_PROTOCOLS
from mockpartners.protocols import ADAPTERS, adapter_for
from mockpartners.protocols.base import Listener
from mockpartners.scenarios import CATALOG, names

PACKAGE = Path(__file__).parent.parent.parent / "mockpartners"
BELOW_PROTOCOLS = ("model", "infra", "scenarios", "ports")
OUTBOX = PACKAGE / "infra" / "outbox.py"
"""The suite's outbox journals its own SMTP sink's events as ``protocol: smtp``: the suite's mail server,
not a partner's endpoint (since PECOTO, ``smtp`` is also an endpoint protocol)."""
REASON_CODES = PACKAGE / "outbound" / "_errors.py"
"""The outbound client's reasons: what a customer's server did (``host-key-changed``, ``disk-full``), in the
words of the scenarios that make our own servers do the same, and no reference to a scenario."""


def test_every_endpoint_model_has_an_adapter_and_every_adapter_a_model() -> None:
    assert set(ADAPTERS) == set(ENDPOINT_PROTOCOLS)
    for model in ENDPOINT_MODELS:
        adapter = adapter_for(model.protocol_name())
        assert isinstance(adapter, type) and issubclass(adapter, Listener), adapter
        assert getattr(adapter, "protocol", None) == model.protocol_name()


def test_endpoint_models_declare_the_credentials_they_need() -> None:
    needs = {model.protocol_name(): model.credentials for model in ENDPOINT_MODELS}
    assert needs == {
        "sftp": frozenset({"ssh"}),
        "ftps": frozenset({"tls"}),
        "http": frozenset({"tls"}),
        "smtp": frozenset({"tls"}),
        "pop3": frozenset({"tls"}),
    }


def test_every_web_application_an_http_endpoint_names_has_its_routes() -> None:
    from mockpartners.model._http import WEB_APPLICATIONS
    from mockpartners.protocols.http import APPLICATIONS

    assert set(APPLICATIONS) == set(WEB_APPLICATIONS)


def _strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module, except inside ``Literal[...]`` (a type: an endpoint model's
    ``protocol: Literal["sftp"]`` is where the name belongs)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside_literal = {
        id(node)
        for subscript in ast.walk(tree)
        if isinstance(subscript, ast.Subscript) and ast.unparse(subscript.value).endswith("Literal")
        for node in ast.walk(subscript.slice)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in inside_literal
    ]


def test_no_layer_below_the_adapters_names_a_protocol() -> None:
    named = [
        f"{path.relative_to(PACKAGE)}:{line} {value!r}"
        for layer in BELOW_PROTOCOLS
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        for line, value in _strings(path)
        if value in ENDPOINT_PROTOCOLS and (path, value) != (OUTBOX, "smtp")
    ]
    assert named == []


def test_scenario_names_are_written_once() -> None:
    raw = {
        (str(path.relative_to(PACKAGE)), value): line
        for path in sorted(PACKAGE.rglob("*.py"))
        if path not in (PACKAGE / "scenarios" / "names.py", REASON_CODES)
        for line, value in _strings(path)
        if value in CATALOG
    }
    assert sorted(raw) == []
    assert set(CATALOG) == {
        value for key, value in vars(names).items() if key.isupper() and isinstance(value, str)
    }
