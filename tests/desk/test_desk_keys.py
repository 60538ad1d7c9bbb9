"""The desk signs every command with its operator key (verifiable with the public key the engine
holds), and without a key it only watches and says so (MemorySource: no engine needed)."""

from __future__ import annotations

from datetime import timedelta

from arbees_engine.bus.messages import CommandAck, CommandAction
from arbees_engine.bus.signing import signature_valid
from arbees_tui.panels.header import HeaderBar
from arbees_tui.panels.signals import PendingTable

from .deskkit import ALICE, NOW, make_app, settle, wait_for
from .test_hotkeys import confirm


async def test_every_command_is_signed_for_this_instance_and_expires_after_the_ttl():
    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        await pilot.press("ctrl+k")
        await confirm(pilot)
        await wait_for(pilot, lambda: len(app.source.commands) == 2)
        public = ALICE.private.public_key()
        for cmd in app.source.commands:
            assert cmd.operator == "alice" and cmd.issued_at == NOW
            assert cmd.expires_at == NOW + timedelta(seconds=10)
            assert signature_valid(cmd, app.instance, public)
            assert not signature_valid(cmd, "another-instance", public)
        assert [c.action for c in app.source.commands] == [CommandAction.APPROVE, CommandAction.KILL]
        app.source.push(
            CommandAck(
                command_id="c-0002",
                action="kill",
                ok=False,
                outcome="refused",
                detail="bad_signature: signature does not verify",
                acked_at=NOW,
            )
        )
        await wait_for(pilot, lambda: app.state.commands["c-0002"].status == "refused")
        await wait_for(
            pilot, lambda: any(n.severity == "error" and "bad_signature" in n.message for n in app._notifications)
        )
        app.tick()
        assert "KILL REFUSED" in str(app.screen.query_one(HeaderBar).render())


async def test_a_desk_without_a_key_watches_only_and_says_why():
    app = make_app(mode="manual", key=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "NO OPERATOR KEY" in str(app.screen.query_one(HeaderBar).render())
        assert any("NO OPERATOR KEY" in n.title for n in app._notifications)
        assert app.screen.query_one(PendingTable).selected_key() == "s-003"
        await pilot.press("a")
        await pilot.press("ctrl+k")
        await confirm(pilot)
        await wait_for(
            pilot, lambda: sum("not sent" in n.message and "operator add" in n.message for n in app._notifications) == 2
        )
        assert app.source.commands == [] and app.state.commands == {}
