"""Areas, facilities, providers, staff, elders and the service catalog."""
