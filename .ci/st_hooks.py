"""Schemathesis hooks for .ci/api-fuzz: send the two import formats that are not JSON as the raw
bytes schemathesis generates (it has no serializer of its own for them)."""

import schemathesis

schemathesis.serializer.alias("x-application/hl7-v2+er7", "text/plain")
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"
)
