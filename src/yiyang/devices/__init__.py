"""Smart devices in elders' homes: kinds, identities, homes, installation and state."""
