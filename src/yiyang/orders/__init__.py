"""Orders: every channel, price and government subsidy, the lifecycle state machine."""
