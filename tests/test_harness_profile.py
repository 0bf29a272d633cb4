"""Seller profile loading: bundled profiles, schema and semantic errors naming the key,
secrets from the environment kept out of repr."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import ConfigError
from harness.profile import bundled_profile_path, load_profile, parse_profile

BASE = {
    "seller": {
        "api": "v8",
        "base_url": "http://127.0.0.1:9/mefApi/sonata/productOfferingQualification/v8",
    },
    "capabilities": {"product_specification": False, "change": False},
    "test_data": {
        "buyer_contact": {"name": "B", "number": "1", "emailAddress": "b@example.com"},
        "install_offering": {"product": {"productOffering": {"id": "1"}}},
    },
}


def make(**changes: Any) -> dict[str, Any]:
    """BASE with dotted-key changes; a value of ... deletes the key."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for p in parents:
            node = node.setdefault(p, {})
        if value is ...:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def error_of(data: Any, env: dict[str, str] | None = None, base_dir: Path | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_profile(data, env=env or {}, base_dir=base_dir)
    return str(info.value)


@pytest.mark.parametrize("api", ["v8", "v7"])
def test_bundled_mock_profiles_load(api: str) -> None:
    profile = load_profile(bundled_profile_path(f"mock-{api}"))
    assert profile.api == api
    assert profile.seller.base_url.endswith(f"/productOfferingQualification/{api}")
    assert profile.test_data.fragment("install_offering") is not None
    assert profile.has("deferred") and profile.has("notifications")
    assert profile.condition("v8_only") is (api == "v8")
    assert profile.condition("insufficient_information") is True


def test_defaults_when_keys_are_omitted() -> None:
    profile = parse_profile(make(seller__api=...), env={})
    assert profile.api == "v8"
    assert profile.seller.timeout_s == 30
    assert profile.seller.auth.type == "none"
    assert profile.deferred.max_wait_s == 120 and profile.deferred.poll_interval_s == 1
    assert profile.notifications.listen_port == 0
    assert profile.has("list") and not profile.has("change")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (make(seller__api="v9"), "seller.api: must be one of v8, v7"),
        (make(seller__base_url=...), "seller.base_url: is required"),
        (make(seller__colour="red"), "seller.colour: unknown key"),
        (make(seller__timeout_s="soon"), "seller.timeout_s: must be a number"),
        (make(seller__timeout_s=0), "seller.timeout_s: must be > 0"),
        (make(capabilities__list="yes"), "capabilities.list: must be a boolean"),
        (make(test_data__install_offering=...), "test_data.install_offering: is required"),
        (make(test_data__buyer_contact={"name": "x"}), "test_data.buyer_contact.number: is"),
        (make(deferred__poll_interval_s=-1), "deferred.poll_interval_s: must be > 0"),
        (make(notifications__listen_port=70000), "notifications.listen_port: must be <="),
        (make(seller__auth={"type": "kerberos"}), "seller.auth.type: must be one of none"),
        (make(seller__auth={"type": "none", "token": "x"}), "seller.auth.token: unknown key"),
        (make(seller__auth={"type": "oauth2_client_credentials", "client_id": "c"}),
         "seller.auth.token_url: is required"),
        (make(seller__auth={"type": "mtls", "cert": "c.pem"}), "seller.auth.key: is required"),
        (make(seller__base_url="ftp://x/y"), "seller.base_url: must be an http(s) URL"),
        (make(seller__api="v7"), "seller.base_url: path ends in /v8 but seller.api is v7"),
        (make(capabilities__immediate=False, capabilities__deferred=False),
         "capabilities: at least one of immediate, deferred"),
        (make(capabilities__change=True), "test_data.change_product: is required when"),
        (make(deferred__max_wait_s=1, deferred__poll_interval_s=5),
         "deferred.poll_interval_s: must not exceed"),
        (make(notifications__callback_url="not a url"),
         "notifications.callback_url: must be an http(s) URL"),
        ([1, 2], "profile: must be a mapping"),
    ],
)
def test_errors_name_the_key(data: Any, expected: str) -> None:
    assert expected in error_of(data)


def test_several_errors_are_reported_together() -> None:
    message = error_of(make(seller__api="v9", capabilities__list="yes"))
    assert "seller.api:" in message and "capabilities.list:" in message


def test_bearer_token_from_environment_is_not_in_repr() -> None:
    data = make(seller__auth={"type": "bearer", "token_env": "POQ_TOKEN"})
    profile = parse_profile(data, env={"POQ_TOKEN": "s3cr3t-token"})
    assert profile.seller.auth.token == "s3cr3t-token"
    assert "s3cr3t-token" not in repr(profile)
    assert "seller.auth.token_env: environment variable POQ_TOKEN is not set" in error_of(data)


def test_bearer_needs_exactly_one_token_source() -> None:
    both = make(seller__auth={"type": "bearer", "token": "a", "token_env": "B"})
    assert "exactly one of token, token_env" in error_of(both, env={"B": "b"})
    neither = make(seller__auth={"type": "bearer"})
    assert "exactly one of token, token_env" in error_of(neither)


def test_oauth2_secret_from_environment() -> None:
    auth = {"type": "oauth2_client_credentials", "token_url": "https://idp.example/token",
            "client_id": "buyer", "client_secret_env": "POQ_SECRET", "scope": "poq"}
    profile = parse_profile(make(seller__auth=auth), env={"POQ_SECRET": "xyz-secret"})
    assert profile.seller.auth.client_secret == "xyz-secret"
    assert "xyz-secret" not in repr(profile)
    assert "client_secret_env: environment variable POQ_SECRET" in error_of(make(seller__auth=auth))


def test_mtls_files_resolved_relative_to_profile(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("cert")
    (tmp_path / "k.pem").write_text("key")
    auth = {"type": "mtls", "cert": "c.pem", "key": "k.pem"}
    profile = parse_profile(make(seller__auth=auth), env={}, base_dir=tmp_path)
    assert profile.seller.auth.cert == str(tmp_path / "c.pem")
    missing = {"type": "mtls", "cert": "c.pem", "key": "k.pem", "ca": "ca.pem"}
    assert "seller.auth.ca: file not found" in error_of(make(seller__auth=missing),
                                                       base_dir=tmp_path)


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="profile file not found"):
        load_profile(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("seller: [unclosed\n")
    with pytest.raises(ConfigError, match=r"invalid YAML at line \d+"):
        load_profile(bad)


def test_with_base_url_rechecks_dialect(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(BASE))
    profile = load_profile(path)
    assert profile.name == "p" and profile.source == str(path)
    moved = profile.with_base_url("http://h:1/mefApi/sonata/productOfferingQualification/v8/")
    assert moved.seller.base_url == "http://h:1/mefApi/sonata/productOfferingQualification/v8"
    with pytest.raises(ConfigError, match="seller.base_url"):
        profile.with_base_url("http://h:1/mefApi/sonata/productOfferingQualification/v7")


def test_test_data_fragments_are_copies() -> None:
    profile = parse_profile(make(), env={})
    frag = profile.test_data.fragment("install_offering")
    assert frag is not None
    frag["product"]["productOffering"]["id"] = "changed"
    assert profile.test_data.fragment("install_offering") == {
        "product": {"productOffering": {"id": "1"}}
    }
    assert profile.test_data.fragment("change_product") is None
    with pytest.raises(KeyError):
        profile.test_data.fragment("nonsense")
