"""Alarms, an SNS notification topic and a dashboard for any Firehose delivery stream.

Modules: ``settings`` (:class:`StreamSettings`: what the stream does), ``options`` (:class:`MonitoringOptions`,
:class:`AlarmSpec`, the freshness threshold), ``metrics`` (:class:`StreamMetrics`, the metric factory),
``alarms`` (the built-in alarm set and why each is set up as it is), ``topic`` (the alarm topic),
``dashboard``, ``stream_monitoring`` (:class:`DeliveryStreamMonitoring`, the construct).
"""

from .alarms import DYNAMIC_PARTITIONING_ALARMS, FORMAT_CONVERSION_ALARMS, KMS_KEY_ALARMS
from .metrics import FIREHOSE_NAMESPACE, StreamMetrics, quota_expression
from .options import (
    FRESHNESS_CAP_SECONDS,
    FRESHNESS_FLOOR_SECONDS,
    AlarmSpec,
    MonitoringOptions,
    freshness_threshold_seconds,
)
from .settings import StreamSettings
from .stream_monitoring import DeliveryStreamMonitoring

__all__ = [
    "DYNAMIC_PARTITIONING_ALARMS",
    "FIREHOSE_NAMESPACE",
    "FORMAT_CONVERSION_ALARMS",
    "FRESHNESS_CAP_SECONDS",
    "FRESHNESS_FLOOR_SECONDS",
    "KMS_KEY_ALARMS",
    "AlarmSpec",
    "DeliveryStreamMonitoring",
    "MonitoringOptions",
    "StreamMetrics",
    "StreamSettings",
    "freshness_threshold_seconds",
    "quota_expression",
]
