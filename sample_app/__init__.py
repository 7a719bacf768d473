"""The sample CDK app's stacks (deployment units composing the library's constructs)."""
