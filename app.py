#!/usr/bin/env python3
"""The sample app: `make synth` (or `npx cdk synth`) synthesizes it with the four cdk-nag packs."""

import aws_cdk as cdk

from firehose_s3_constructs.compliance import add_compliance_checks
from sample_app.stacks import KinesisSourceStack, PipelineStack

# cfn-lint runs on the templates in `make test`, so the slower built-in copy of it is off here.
app = cdk.App(builtin_cloud_formation_validation=False)
add_compliance_checks(app)
PipelineStack(app, "FirehoseS3Pipeline", description="Direct PUT Firehose to a hardened S3 bucket")
KinesisSourceStack(
    app, "FirehoseS3KinesisSource", description="Encrypted Kinesis Data Stream to S3 via Firehose"
)
app.synth()
