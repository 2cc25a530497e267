"""scripts/fhir_server.py: the test server's settings never expose it beyond this machine."""

from __future__ import annotations

import importlib.util
import json
import socket
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "fhir_server.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fhir_server_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_binds_loopback_with_bearer_auth_and_no_simulator(tmp_path: Path) -> None:
    script = _script()
    config = tmp_path / "settings.yaml"
    token = 'tok"en: #1'
    base_url = script.write_config(config, port=8123, token=token, data_dir=tmp_path / "d")

    lines = config.read_text().splitlines()
    assert base_url == "http://127.0.0.1:8123/fhir"
    assert 'host: "127.0.0.1"' in lines
    assert "port: 8123" in lines
    assert f"base_url: {json.dumps(base_url)}" in lines
    assert lines[lines.index("simulator:") + 1] == "  enabled: false"
    assert "  types: [bearer]" in lines
    assert f"  tokens: [{json.dumps(token)}]" in lines  # quoted: YAML reads it back intact
    assert config.stat().st_mode & 0o077 == 0  # the token is readable by its owner only
    assert "0.0.0.0" not in config.read_text()


def test_free_port_is_on_loopback_and_bindable() -> None:
    port = _script().free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))
