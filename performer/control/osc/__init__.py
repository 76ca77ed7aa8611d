"""OSC: routing (pure), the UDP server, feedback, the state publisher and OSCQuery.
"""
