"""IoT readings as devices publish them to the FirehoseS3IotTelemetry stack (see the package docstring)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Final

from firehose_s3_client.sample_data.records import START_MS, Document, iso_ms

#: (device type, temperature range in Celsius, whether it measures humidity)
_DEVICE_TYPES: Final = (
    ("thermostat", (18.0, 26.0), True),
    ("freezer", (-25.0, -15.0), True),
    ("air_quality", (5.0, 35.0), True),
    ("tracker", (-10.0, 40.0), False),
)
_SITES: Final = ("plant-1", "plant-2", "warehouse-east", "warehouse-west", "store-114", "lab")
_INTERNATIONAL_SITES: Final = ("zürich-süd", "malmö-hamn")
_FIRMWARE: Final = ("1.4.2", "1.4.3", "2.0.0-rc1")
#: Devices in the simulated fleet (each has a fixed type, site, firmware and home location).
FLEET_SIZE: Final = 2000
#: Share of the readings sent hours late (by a device that was offline).
LATE_SHARE: Final = 0.005


def _fleet(rng: random.Random) -> list[tuple[str, int, str, str, float, float]]:
    """(device_id, type index, site, firmware, lat, lon) of every device."""
    fleet = []
    for number in range(FLEET_SIZE):
        type_index = rng.randrange(len(_DEVICE_TYPES))
        site = rng.choice(_INTERNATIONAL_SITES) if rng.random() < 0.01 else rng.choice(_SITES)
        device_id = f"{_DEVICE_TYPES[type_index][0].replace('_', '')}-{number:05d}"
        lat, lon = rng.uniform(-50.0, 60.0), rng.uniform(-120.0, 140.0)
        fleet.append((device_id, type_index, site, rng.choice(_FIRMWARE), lat, lon))
    return fleet


def iot_documents(seed: int = 0, *, start_ms: int = START_MS) -> Iterator[Document]:
    """Endless telemetry readings (see the module docstring), ~40 per second of event time from ``start_ms``."""
    rng = random.Random(seed)
    fleet = _fleet(rng)
    now = start_ms
    while True:
        now += rng.randrange(50)
        device_id, type_index, site, firmware, lat, lon = rng.choice(fleet)
        device_type, (low, high), humid = _DEVICE_TYPES[type_index]
        if device_type == "tracker":  # trackers move; the others stay where they were installed
            lat, lon = lat + rng.uniform(-0.05, 0.05), lon + rng.uniform(-0.05, 0.05)
        event_ms = now - rng.randrange(3_600_000, 36 * 3_600_000) if rng.random() < LATE_SHARE else now
        battery = rng.randrange(101)
        tags = {"site": site, "fw": firmware}
        if battery < 10:
            tags["alert"] = "low_battery"
        yield {
            "device_id": device_id,
            "device_type": device_type,
            "ts": iso_ms(event_ms),
            "temperature": round(rng.uniform(low, high), 2),
            "humidity": round(rng.uniform(20.0, 90.0), 1) if humid else None,
            "battery": battery,
            "location": {"lat": round(lat, 5), "lon": round(lon, 5)},
            "tags": tags,
        }
