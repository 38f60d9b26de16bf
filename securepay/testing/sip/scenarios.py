"""sipp scenarios for the test phones: SIP signalling only, the SDP names our RTP socket.

`[rtp_ip]`/`[rtp_port]` come from `sipp -key`. Both calls end on Asterisk's BYE; the
caller also hangs up when an INFO arrives on its own call (`SipCaller.hang_up`), sipp
having no other remote control. The rig's endpoints (direct_media = no, no
connected-line updates to the trunk) send neither re-INVITE nor UPDATE.
"""

from __future__ import annotations

HEAD = '<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="{name}">\n'
TAIL = '<label id="end"/>\n</scenario>\n'

SDP = """v=0
o=securepay 1 1 IN IP4 [rtp_ip]
s=-
c=IN IP4 [rtp_ip]
t=0 0
m=audio [rtp_port] RTP/AVP 0 {pt}
a=rtpmap:0 PCMU/8000
{event_line}/8000
a=fmtp:{pt} 0-16
a=ptime:20
a=sendrecv"""

AGENT_RESPONSE = """<send{retrans}><![CDATA[
SIP/2.0 {status}
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port]>
{body}
]]></send>
"""

OK_EMPTY = """<send next="end"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
"""

CALLER_INVITE = """<send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

{sdp}
]]></send>
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="183" optional="true"/>
<recv response="200" rtd="true">
  <action>
    <ereg regexp="&lt;.*" search_in="hdr" header="To:" check_it="true" assign_to="remote_to"/>
    <ereg regexp="sip:[^&gt;]*" search_in="hdr" header="Contact:" check_it="true" assign_to="remote_contact"/>
  </action>
</recv>
"""

IN_DIALOG = """<send{retrans}><![CDATA[
{method} [$remote_contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: [$remote_to]
Call-ID: [call_id]
CSeq: {cseq} {method}
Max-Forwards: 70
Content-Length: 0

]]></send>
"""

CALLER_HANGS_UP = """<label id="hang_up"/>
{bye}<recv response="200" next="end"/>
"""

AGENT_ANSWERS = """<recv request="INVITE">
  <action>
    <ereg regexp="a=rtpmap:([0-9]+) telephone-event" search_in="body" check_it="true" assign_to="te_line,te"/>
  </action>
</recv>
{ringing}{ok}<recv request="ACK"/>
"""


def _talking(can_hang_up: bool) -> str:
    """Wait in the call until Asterisk's BYE (or, for the caller, our INFO: it hangs up)."""
    info = '<recv request="INFO" optional="true" next="hang_up"/>\n' if can_hang_up else ""
    hang_up = CALLER_HANGS_UP.format(bye=caller_request("BYE", 2)) if can_hang_up else ""
    return info + '<recv request="BYE"/>\n' + OK_EMPTY + hang_up


def caller_request(method: str, cseq: int) -> str:
    """A request of the caller's in its dialog with Asterisk (ACK, BYE)."""
    retrans = "" if method == "ACK" else ' retrans="500"'
    return IN_DIALOG.format(retrans=retrans, method=method, cseq=cseq)


def caller() -> str:
    """A trunk's caller: INVITE offering PCMU and telephone-event 101, then talk."""
    sdp = SDP.format(pt="101", event_line="a=rtpmap:101 telephone-event")
    invite = CALLER_INVITE.format(sdp=sdp) + caller_request("ACK", 1)
    return HEAD.format(name="securepay caller") + invite + _talking(True) + TAIL


def agent() -> str:
    """The agent's phone: auto-answers, echoing the telephone-event type Asterisk offers."""
    sdp = SDP.format(pt="[$te]", event_line="[$te_line]")
    ringing = AGENT_RESPONSE.format(retrans="", status="180 Ringing", body="Content-Length: 0\n")
    body = f"Content-Type: application/sdp\nContent-Length: [len]\n\n{sdp}"
    ok = AGENT_RESPONSE.format(retrans=' retrans="500"', status="200 OK", body=body)
    answer = AGENT_ANSWERS.format(ringing=ringing, ok=ok)
    return HEAD.format(name="securepay agent") + answer + _talking(False) + TAIL


def register() -> str:
    """The agent's phone registers (digest auth with `-au`/`-ap`), Contact on the UAS port."""
    request = """<send retrans="500"><![CDATA[
REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag02[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: {cseq} REGISTER
Contact: <sip:[service]@[local_ip]:[local_port]>
Expires: 3600
Max-Forwards: 70
{auth}Content-Length: 0

]]></send>
"""
    return (
        HEAD.format(name="securepay register")
        + request.format(cseq=1, auth="")
        + '<recv response="401" auth="true"/>\n'
        + request.format(cseq=2, auth="[authentication]\n")
        + '<recv response="200"/>\n'
        + TAIL
    )
