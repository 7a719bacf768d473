"""A local Firehose delivery engine: run a synthesized stack's delivery streams offline, faithfully.

``firehose-s3 simulate`` reads the stack's template from the cloud assembly (``cdk.out``) and runs records
through the configured stream; ``firehose-s3 query`` queries the result through the stack's Glue tables.
See docs/simulate.md. Heavy dependencies (pyarrow, duckdb, jq) are imported only by the commands that need
them, so ``firehose-s3 --help`` and ``put`` stay fast.
"""
