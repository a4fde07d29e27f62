"""Send a responder to an alarm: choose, offer, accept, travel, arrive, report."""
