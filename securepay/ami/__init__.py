"""A small asyncio AMI client: only the actions securepay needs (Redirect, MixMonitorMute).

panoramisk is the usual library, but its Python 3.11+ fixes live only on its master
branch; the few actions here need ~100 lines of protocol, so securepay carries them.
"""

from securepay.ami.client import AmiAuthError, AmiClient, AmiError, Message, succeeded

__all__ = ["AmiAuthError", "AmiClient", "AmiError", "Message", "succeeded"]
