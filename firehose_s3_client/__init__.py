"""Client tools for Firehose -> S3 pipelines: the producer, the ``firehose-s3`` command and the local engine.

Never imports ``aws_cdk`` (a test checks it in a fresh interpreter), so producers and the command start in
milliseconds and run where the CDK is not installed. Names and limits shared with the constructs and the Lambda
runtime come from ``firehose_transform.contract``; what a valid record is, from ``firehose_transform.documents``.

The producer (``from firehose_s3_client.producer import FirehoseProducer``):
    producer, producer_options, producer_stats    the batching, aggregating, retrying producer
    batching, records, batch_sender, dispatch     packing records, sending batches, batches in flight
    retry_policy, failures, flush_thread          backoff, failed records, time-based and exit-time flush
    aws_clients                                   boto3 clients with the producer's timeouts

The ``firehose-s3`` command (``cli.main``):
    cli, cli_common, console, errors              the parser, shared options, progress, exit statuses
    put_command, put_ledger, input_lines, interrupts, manifest    ``put``: every record accounted for
    verify_command, verify, s3_objects            ``verify``: what reached S3, by count or by manifest
    replay_command                                ``replay``: re-send the records of error objects
    simulate/                                     the local delivery engine: ``simulate`` and ``query``
    serve/                                        the local Firehose endpoint: ``serve``

Also: ``sample_data`` (realistic web-log and IoT records) and ``demo`` (``make demo``).
"""
