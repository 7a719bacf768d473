"""``firehose-s3 serve``: a local Firehose endpoint, so real clients can send records to a simulated stream.

An HTTP server that speaks the Firehose API's JSON protocol (:mod:`protocol`, :mod:`operations`,
:mod:`http_server`) for the delivery streams of a cloud assembly, in front of the same engine as
``firehose-s3 simulate`` run on the wall clock (:mod:`served_stream`, :mod:`wall_clock`), with optional fault
injection (:mod:`faults`) so producers' retries can be tested. See docs/serve.md.
"""
