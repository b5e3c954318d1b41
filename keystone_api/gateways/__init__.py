"""Robot gateways: Axon device registration and config templates, the recorder and transfer
WebSockets (spec/axon-protocol.md), connection state and its event stream."""
