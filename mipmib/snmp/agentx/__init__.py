"""AgentX (RFC 2741) subagent: the codec, the request handler and the asyncio session."""
