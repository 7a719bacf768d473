"""Grants and metrics of a construct that owns a Firehose delivery stream (``FirehoseToS3`` has them)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose

__all__ = ["DeliveryStreamApi"]


class DeliveryStreamApi:
    """``grant*`` and ``metric*`` helpers on ``self.delivery_stream``."""

    delivery_stream: firehose.IDeliveryStream

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Let ``grantee`` perform ``actions`` (e.g. ``"firehose:DescribeDeliveryStream"``) on this stream."""
        return self.delivery_stream.grant(grantee, *actions)

    def grant_put_records(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` call PutRecord and PutRecordBatch on this stream (Direct PUT only)."""
        return self.delivery_stream.grant_put_records(grantee)

    def metric(self, metric_name: str, *, statistic: str = "Sum", period: Duration | None = None) -> cloudwatch.Metric:
        """Any ``AWS/Firehose`` metric of this stream (dimension ``DeliveryStreamName``). Default period 5 min."""
        return self.delivery_stream.metric(metric_name, statistic=statistic, period=period or Duration.minutes(5))

    def metric_incoming_bytes(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Bytes ingested (Direct PUT), Sum. Default period 5 minutes."""
        return self.metric("IncomingBytes", period=period)

    def metric_incoming_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records ingested (Direct PUT), Sum. Default period 5 minutes."""
        return self.metric("IncomingRecords", period=period)

    def metric_throttled_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records rejected because the stream's throughput quota was exceeded, Sum."""
        return self.metric("ThrottledRecords", period=period)

    def metric_delivery_to_s3_data_freshness(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Age in seconds of the oldest record not yet delivered to S3, Maximum."""
        return self.metric("DeliveryToS3.DataFreshness", statistic="Maximum", period=period)

    def metric_delivery_to_s3_success(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Ratio of successful S3 puts to attempted puts, Average (1 = all succeeded)."""
        return self.metric("DeliveryToS3.Success", statistic="Average", period=period)

    def metric_delivery_to_s3_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Records delivered to S3, Sum."""
        return self.metric("DeliveryToS3.Records", period=period)

    def metric_backup_to_s3_data_freshness(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Age in seconds of the oldest source record not yet backed up, Maximum (only with source backup)."""
        return self.metric("BackupToS3.DataFreshness", statistic="Maximum", period=period)

    def metric_backup_to_s3_success(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Ratio of successful backup puts, Average (only with source backup)."""
        return self.metric("BackupToS3.Success", statistic="Average", period=period)

    def metric_backup_to_s3_records(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Source records backed up to S3, Sum (only with source backup)."""
        return self.metric("BackupToS3.Records", period=period)
