"""The device gateway: receive (MQTT, HTTP, vendor webhooks), parse, store, then acknowledge."""
