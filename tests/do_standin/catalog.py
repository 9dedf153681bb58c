"""What the stand-in account can be asked for: regions, sizes, images.

A small, realistic slice of DigitalOcean's catalogue (slugs, sizes and list
prices as published in 2026; the stand-in never bills anything). Requests
naming anything else are refused with 422, as the real API does.
"""

REGIONS = {
    "ams3": "Amsterdam 3",
    "blr1": "Bangalore 1",
    "fra1": "Frankfurt 1",
    "lon1": "London 1",
    "nyc1": "New York 1",
    "nyc3": "New York 3",
    "sfo3": "San Francisco 3",
    "sgp1": "Singapore 1",
    "syd1": "Sydney 1",
    "tor1": "Toronto 1",
}

REGION_FEATURES = ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]

# slug: (memory MiB, vcpus, disk GiB, transfer TiB, USD per month)
SIZES = {
    "s-1vcpu-512mb-10gb": (512, 1, 10, 0.5, 4.0),
    "s-1vcpu-1gb": (1024, 1, 25, 1.0, 6.0),
    "s-1vcpu-2gb": (2048, 1, 50, 2.0, 12.0),
    "s-2vcpu-2gb": (2048, 2, 60, 3.0, 18.0),
    "s-2vcpu-4gb": (4096, 2, 80, 4.0, 24.0),
    "s-4vcpu-8gb": (8192, 4, 160, 5.0, 48.0),
}

# slug: (id, name, distribution, min disk GiB, size GiB)
IMAGES = {
    "debian-12-x64": (168000001, "12 x64", "Debian", 10, 0.94),
    "debian-13-x64": (191000002, "13 x64", "Debian", 10, 1.02),
    "ubuntu-24-04-x64": (172000003, "24.04 (LTS) x64", "Ubuntu", 10, 2.36),
}

CREATED_AT_IMAGES = "2025-06-10T00:00:00Z"
