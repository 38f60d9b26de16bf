"""Real SIP phones for tests: sipp signals, our asyncio sockets carry the RTP (PCMU and
RFC 4733 telephone-events), so every digit sent and heard is counted."""
