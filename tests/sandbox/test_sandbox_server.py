"""The sandbox's simulators and the environment that points the gateway at them."""

from __future__ import annotations

import sys

import pytest

from connectors.messenger import MessengerSender
from connectors.x.api import build_client
from outbox.messages import OutboundMessage, SendOutcome
from sandbox.__main__ import main
from sandbox.simulator.server import SandboxConfig, Simulators, gateway_environment
from settings import Settings

GATEWAY_VARIABLES = {
    "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_ACCESS_TOKEN",
    "GRAPH_API_URL", "X_CONSUMER_KEY", "X_CONSUMER_SECRET", "X_ACCESS_TOKEN",
    "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN", "X_API_URL", "X_ACCOUNT_ID", "X_MODE",
}  # fmt: skip


def settings_from(environment: dict[str, str]) -> Settings:
    return Settings(_env_file=None, **{key.lower(): value for key, value in environment.items()})


def test_gateway_environment_points_at_the_fixed_simulator_ports() -> None:
    environment = gateway_environment(SandboxConfig())

    assert set(environment) == GATEWAY_VARIABLES
    assert environment["GRAPH_API_URL"] == "http://127.0.0.1:8091/v21.0"
    assert environment["X_API_URL"] == "http://127.0.0.1:8092"
    assert environment["X_MODE"] == "webhook"
    assert settings_from(environment).messenger_app_secret == "sandbox-app-secret"


def test_gateway_environment_needs_ports_known_before_start() -> None:
    with pytest.raises(ValueError):
        gateway_environment(SandboxConfig(graph_port=0))


def test_config_reads_the_sandbox_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SANDBOX_HOST", "0.0.0.0")
    monkeypatch.setenv("SANDBOX_PORT", "9000")
    monkeypatch.setenv("SANDBOX_X_PORT", "0")
    monkeypatch.delenv("SANDBOX_GATEWAY_URL", raising=False)
    monkeypatch.setenv("GATEWAY_HOST", "0.0.0.0")
    monkeypatch.setenv("GATEWAY_PORT", "8181")

    config = SandboxConfig.from_environ()

    assert (config.host, config.page_port, config.graph_port, config.x_port) == (
        "0.0.0.0", 9000, 8091, 0,
    )  # fmt: skip
    assert config.gateway_url == "http://127.0.0.1:8181"  # where the gateway listens


def test_env_option_prints_shell_exports(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["sandbox", "--env"])
    for variable in ("SANDBOX_GRAPH_PORT", "SANDBOX_X_PORT"):
        monkeypatch.delenv(variable, raising=False)

    main()

    lines = capsys.readouterr().out.splitlines()
    assert "export GRAPH_API_URL=http://127.0.0.1:8091/v21.0" in lines
    assert len(lines) == len(GATEWAY_VARIABLES)


async def test_the_connectors_send_to_the_simulators_with_that_environment() -> None:
    async with Simulators(SandboxConfig(graph_port=0, x_port=0)) as simulators:
        settings = settings_from(simulators.gateway_environment())
        reply = OutboundMessage("messenger", "sandbox-page", "42", "Your parcel is on its way.")

        async with MessengerSender.from_settings(settings) as sender:
            result = await sender.send(reply)
        await build_client(settings).create_direct_message(participant_id="43", text="Hello")

        assert result.outcome is SendOutcome.SENT
        assert simulators.messenger.received("42") == ["Your parcel is on its way."]
        assert [dm.text for dm in simulators.x.sent] == ["Hello"]
