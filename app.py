#!/usr/bin/env python3
"""The sample app: `make synth` (or `npx cdk synth`) synthesizes it with the four cdk-nag packs."""

import aws_cdk as cdk

from firehose_s3_constructs.compliance import add_compliance_checks
from sample_app.stacks import add_sample_stacks

# cfn-lint runs on the templates in `make test`, so aws-cdk-lib's slower built-in copy of it is off here.
app = cdk.App(builtin_cloud_formation_validation=False)
add_compliance_checks(app)
add_sample_stacks(app)
app.synth()
