"""Pure device payload parsers, one module per format: bytes in, `DeviceMessage` out."""
