"""HTTP and WebSocket serving shared by OSCQuery and the web console (aiohttp on a thread)."""
