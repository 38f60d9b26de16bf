"""The shipped manager.conf keeps keyed digits off AMI, even if someone widens `read`.

A manager user with read class `dtmf` receives DTMFBegin/DTMFEnd (the digit included)
for every key a caller presses. The shipped user has `read = call`, and its event
filter drops DTMF events regardless: these tests widen `read` on a real Asterisk and
press keys on a call to show both the threat and the filter.
"""

from __future__ import annotations

import asyncio
import re
import subprocess

import aiohttp

from securepay.testing.asterisk_rig import AsteriskInstance

DIGITS = "4111"


def widen_read_to_dtmf(asterisk: AsteriskInstance, keep_filter: bool) -> None:
    path = asterisk.dir / "etc" / "manager.conf"
    text = path.read_text().replace("read = call\n", "read = call,dtmf\n")
    assert "read = call,dtmf" in text
    if not keep_filter:
        text = re.sub(r"^eventfilter.*\n", "", text, flags=re.MULTILINE)
    path.write_text(text)
    command = asterisk.install.command(
        "-C", f"{asterisk.inner_dir}/etc/asterisk.conf", "-rx", "manager reload"
    )
    subprocess.run(command, capture_output=True, check=True, timeout=20)


async def ami_events_while_keys_are_pressed(asterisk: AsteriskInstance) -> list[str]:
    """Log in with events on, press DIGITS on a Local call, return the event names seen."""
    return re.findall(r"Event: (\w+)", await ami_text_while_keys_are_pressed(asterisk))


async def ami_text_while_keys_are_pressed(asterisk: AsteriskInstance) -> str:
    """Log in with events on, press DIGITS on a Local call, return everything AMI sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", asterisk.ami_port)
    await reader.readline()
    writer.write(f"Action: Login\r\nUsername: securepay\r\nSecret: {asterisk.ami_password}\r\n\r\n".encode())
    ari = asterisk.ari
    headers = {"Authorization": aiohttp.encode_basic_auth(ari.username, ari.password)}
    async with aiohttp.ClientSession(headers=headers) as http:
        ws = await http.ws_connect(f"{ari.url}/ari/events", params={"app": "dtmf-test,securepay-driver"})

        async def started_in(app: str) -> str:
            while True:
                message = await ws.receive_json()
                if message["type"] == "StasisStart" and message["application"] == app:
                    return str(message["channel"]["id"])

        params = {"endpoint": "Local/agentphone@securepay-test", "app": "dtmf-test"}
        async with http.post(f"{ari.url}/ari/channels", params=params) as resp:
            assert resp.status == 200
        far_end = await asyncio.wait_for(started_in("securepay-driver"), 10)
        async with http.post(f"{ari.url}/ari/channels/{far_end}/answer") as resp:
            assert resp.status == 204
        phone = await asyncio.wait_for(started_in("dtmf-test"), 10)
        async with http.post(f"{ari.url}/ari/channels/{phone}/dtmf", params={"dtmf": DIGITS}) as resp:
            assert resp.status == 204
        await asyncio.sleep(1.5)
        async with http.delete(f"{ari.url}/ari/channels/{phone}"):
            pass
        await ws.close()
    data = b""
    try:
        while True:
            chunk = await asyncio.wait_for(reader.read(65536), 1.0)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    writer.close()
    return data.decode(errors="replace")


async def test_manager_user_reading_dtmf_receives_every_keyed_digit_without_the_filter(
    fresh_asterisk: AsteriskInstance,
) -> None:
    await asyncio.to_thread(fresh_asterisk.start)
    widen_read_to_dtmf(fresh_asterisk, keep_filter=False)
    events = await ami_events_while_keys_are_pressed(fresh_asterisk)
    assert events.count("DTMFEnd") >= len(DIGITS), events


async def test_shipped_event_filter_drops_dtmf_events_even_when_read_includes_dtmf(
    fresh_asterisk: AsteriskInstance,
) -> None:
    await asyncio.to_thread(fresh_asterisk.start)
    widen_read_to_dtmf(fresh_asterisk, keep_filter=True)
    events = await ami_events_while_keys_are_pressed(fresh_asterisk)
    assert "Newchannel" in events, "the session received events, so the filter is what dropped DTMF"
    assert not [e for e in events if e.startswith("DTMF")], events


def log_every_cel_event_to_ami(asterisk: AsteriskInstance) -> None:
    """What a PBX with CEL on may have: every event, DTMF included, also sent to AMI."""
    path = asterisk.dir / "etc" / "cel.conf"
    text = re.sub(r"^events\s*=.*$", "events = ALL", path.read_text(), flags=re.MULTILINE)
    path.write_text(text + "\n[manager]\nenabled = yes\n")
    for command in ("module reload cel", "module load cel_manager.so"):
        argv = asterisk.install.command("-C", f"{asterisk.inner_dir}/etc/asterisk.conf", "-rx", command)
        subprocess.run(argv, capture_output=True, check=True, timeout=20)


async def test_shipped_event_filter_drops_cel_dtmf_events_when_cel_logs_every_event(
    fresh_asterisk: AsteriskInstance,
) -> None:
    await asyncio.to_thread(fresh_asterisk.start)
    log_every_cel_event_to_ami(fresh_asterisk)
    events = await ami_text_while_keys_are_pressed(fresh_asterisk)
    assert "Event: CEL" in events, "cel_manager sent events, so the filter is what dropped DTMF"
    assert "EventName: DTMF" not in events
