#!/usr/bin/python3
"""Captures the responses in which Ceph RGW differs from AWS and Swift
(scripts/rgw-server.sh; see docs/DESIGN.md "Server differences") into
tests/data/rgw/<Case>.xml, for unit tests of partfs's handling. Usage:
  tests/data/capture_rgw_quirks.py --endpoint http://127.0.0.1:PORT [--out tests/data/rgw]
"""
import argparse
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_responses import Client, xml_value  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "rgw"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    c = Client(args.endpoint, "test:tester", "testing")
    bucket = "quirks-" + uuid.uuid4().hex[:8]
    index = []

    def save(name, status, body, want_status):
        if status != want_status:
            sys.exit("%s: HTTP %d, want %d: %r" % (name, status, want_status, body[:300]))
        with open(os.path.join(args.out, name + ".xml"), "wb") as f:
            f.write(body)
        index.append("%s.xml HTTP %d" % (name, status))

    def ok(status, body, what):
        if status // 100 != 2:
            sys.exit("%s: HTTP %d %r" % (what, status, body[:300]))
        return body

    ok(*c.call("PUT", "/" + bucket), "create bucket")
    key = "/%s/mpu.bin" % bucket
    upload_id = xml_value(ok(*c.call("POST", key, {"uploads": ""}), "initiate"), b"UploadId")
    data = b"x" * 1000
    import hashlib
    etag = hashlib.md5(data).hexdigest()
    ok(*c.call("PUT", key, {"partNumber": "1", "uploadId": upload_id}, data), "part")
    done = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"%s\"</ETag>"
            "</Part></CompleteMultipartUpload>" % etag).encode()
    save("CompleteMultipartUpload_empty_etag", *c.call("POST", key, {"uploadId": upload_id}, done),
         200)
    save("ListParts_completed_NoSuchKey", *c.call("GET", key, {"uploadId": upload_id}), 404)
    # A second Complete (any part list) of a key that holds a multipart object
    # answers 200 with that object's ETag; an unknown upload of a new key: 500.
    save("CompleteMultipartUpload_again", *c.call("POST", key, {"uploadId": upload_id}, done), 200)
    save("Complete_unknown_upload_InternalError",
         *c.call("POST", "/%s/fresh.bin" % bucket, {"uploadId": "2~unknown" + uuid.uuid4().hex},
                 done), 500)
    save("PutObject_if_none_match_PreconditionFailed",
         *c.call("PUT", key, body=b"y", headers={"If-None-Match": "*"}), 412)
    ok(*c.call("DELETE", key), "delete")
    ok(*c.call("DELETE", "/" + bucket), "delete bucket")
    print("\n".join(index))


if __name__ == "__main__":
    main()
