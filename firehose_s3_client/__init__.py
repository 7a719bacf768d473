"""Client tools for Firehose -> S3 pipelines: the producer, the ``firehose-s3`` CLI and its helpers.

Never imports ``aws_cdk`` (a test checks it in a fresh interpreter), so producers and the CLI start in
milliseconds and run where the CDK is not installed. Modules:

    producer   FirehoseProducer: batching, aggregation, retries, no silent loss
    verify     reading what Firehose wrote to S3 (decompression, counting, error records)
    cli        the ``firehose-s3`` command (put, verify, replay)

Names and limits shared with the constructs and the Lambda runtime come from ``firehose_transform.contract``.
"""
