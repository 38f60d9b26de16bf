"""`make asterisk-up` / `make asterisk-down`: the test Asterisk, for working by hand.

The running instance is remembered in `.rig/asterisk.json` so `down` can stop it by
its pid and remove its directories.
"""

from __future__ import annotations

import json
import sys

from securepay.testing.asterisk_rig import REPO, SIP_CALLER_IP, AsteriskInstance
from securepay.testing.asterisk_root import chroot_in_use, find_or_build, unmount_proc

STATE = REPO / ".rig" / "asterisk.json"


def up() -> int:
    if STATE.exists():
        print(f"already up ({STATE}); run `make asterisk-down` first", file=sys.stderr)
        return 1
    instance = AsteriskInstance(find_or_build())
    instance.start()
    STATE.parent.mkdir(exist_ok=True)
    STATE.write_text(json.dumps(instance.state()))
    ari = instance.ari
    print(f"Asterisk {instance.install.version} is up")
    print(f"  ARI       {ari.url}  user {ari.username}  password {ari.password}  app {ari.app}")
    sip = f"127.0.0.1:{instance.sip_port}  phone alice  password {instance.sip_password}"
    print(f"  SIP       {sip}  (trunk calls from {SIP_CALLER_IP})")
    print(f"  log       {instance.log_path}")
    console = instance.install.command("-C", f"{instance.inner_dir}/etc/asterisk.conf", "-r")
    print(f"  CLI       {' '.join(console)}")
    print(f"  env       SECUREPAY_ARI_URL={ari.url} SECUREPAY_ARI_PASSWORD={ari.password}")
    return 0


def down() -> int:
    if not STATE.exists():
        print("not up", file=sys.stderr)
        return 0
    install = find_or_build()
    AsteriskInstance.from_state(install, json.loads(STATE.read_text())).remove()
    STATE.unlink()
    if install.root is not None and not chroot_in_use(install.root):
        unmount_proc(install.root)
    print("Asterisk stopped")
    return 0


def main(argv: list[str]) -> int:
    commands = {"up": up, "down": down}
    if len(argv) != 1 or argv[0] not in commands:
        print("usage: python -m securepay.testing.rig_cli up|down", file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
