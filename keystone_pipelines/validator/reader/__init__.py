"""The tiers that read a recording: summary (1), message indexes or a linear scan (2),
and the streaming integrity pass (4). The frame sample (3) is in checks/images.py."""
