#!/usr/bin/python3
"""Captures raw S3 XML response bodies from a running local S3 server
(scripts/s3-server.sh) into tests/data/<Operation>.xml, for parser unit tests.

Requests are signed with botocore's SigV4 signer but sent as raw HTTP, so the
query strings are exactly the ones given here (no encoding-type=url unless
asked). Usage:
  tests/data/capture_responses.py --endpoint http://127.0.0.1:PORT [--out tests/data]
"""
import argparse
import hashlib
import base64
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.sax.saxutils

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

REGION = "us-east-1"


class Client:
    def __init__(self, endpoint, access_key, secret_key):
        self.endpoint = endpoint.rstrip("/")
        self.creds = Credentials(access_key, secret_key)

    def call(self, method, path, query=None, body=b"", headers=None):
        url = self.endpoint + urllib.parse.quote(path, safe="/~")
        if query:
            url += "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        headers = dict(headers or {})
        headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
        req = AWSRequest(method=method, url=url, data=body, headers=headers)
        S3SigV4Auth(self.creds, "s3", REGION).add_auth(req)
        prepared = req.prepare()
        raw = urllib.request.Request(prepared.url, data=body or None, method=method,
                                     headers=dict(prepared.headers.items()))
        try:
            with urllib.request.urlopen(raw, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def xml_value(body, tag):
    start = body.index(b"<" + tag + b">") + len(tag) + 2
    return xml.sax.saxutils.unescape(body[start:body.index(b"</" + tag + b">", start)].decode())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--access-key", default="test:tester")
    ap.add_argument("--secret-key", default="testing")
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    c = Client(args.endpoint, args.access_key, args.secret_key)
    bad = Client(args.endpoint, args.access_key, "wrong-secret")
    bucket = "capture-" + uuid.uuid4().hex[:8]
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
    for key in ("dir1/a.txt", "dir1/b.txt", "dir2/c.txt", "top1.txt", "top2.txt",
                "odd key+&=%.txt"):
        ok(*c.call("PUT", "/%s/%s" % (bucket, key), body=b"hello " + key.encode()), "put")

    save("ListObjectsV2_delimiter",
         *c.call("GET", "/" + bucket, {"list-type": "2", "delimiter": "/"}), 200)
    save("ListObjectsV2_truncated",
         *c.call("GET", "/" + bucket, {"list-type": "2", "max-keys": "2"}), 200)
    status, body = c.call("GET", "/" + bucket, {"list-type": "2", "max-keys": "2"})
    token = xml_value(body, b"NextContinuationToken")
    save("ListObjectsV2_continued",
         *c.call("GET", "/" + bucket,
                 {"list-type": "2", "max-keys": "2", "continuation-token": token}), 200)
    save("ListObjectsV2_encoded",
         *c.call("GET", "/" + bucket, {"list-type": "2", "prefix": "odd",
                                       "encoding-type": "url"}), 200)
    save("ListObjectsV2_empty",
         *c.call("GET", "/" + bucket, {"list-type": "2", "prefix": "nothing/"}), 200)

    save("CopyObject", *c.call("PUT", "/%s/copy.txt" % bucket,
                               headers={"x-amz-copy-source": "/%s/top1.txt" % bucket}), 200)

    # Multipart: one upload with 3 small parts (ListParts), two more uploads (ListMultipartUploads).
    status, body = c.call("POST", "/%s/mpu/big.bin" % bucket, {"uploads": ""})
    save("InitiateMultipartUpload", status, body, 200)
    upload_id = xml_value(body, b"UploadId")
    etags = []
    for n in (1, 2, 3):
        data = bytes([n]) * 1000
        req_body = data
        status, _ = c.call("PUT", "/%s/mpu/big.bin" % bucket,
                           {"partNumber": str(n), "uploadId": upload_id}, req_body,
                           {"Content-MD5": base64.b64encode(hashlib.md5(data).digest()).decode()})
        ok(status, b"", "upload part")
        etags.append(hashlib.md5(data).hexdigest())
    save("ListParts_truncated", *c.call("GET", "/%s/mpu/big.bin" % bucket,
                                        {"uploadId": upload_id, "max-parts": "2"}), 200)
    save("ListParts", *c.call("GET", "/%s/mpu/big.bin" % bucket, {"uploadId": upload_id}), 200)
    status, body = c.call("POST", "/%s/mpu/other.bin" % bucket, {"uploads": ""})
    other_id = xml_value(body, b"UploadId")
    ok(*c.call("POST", "/%s/mpu/third.bin" % bucket, {"uploads": ""}), "initiate")
    save("ListMultipartUploads_truncated",
         *c.call("GET", "/" + bucket, {"uploads": "", "max-uploads": "2"}), 200)
    save("ListMultipartUploads", *c.call("GET", "/" + bucket, {"uploads": ""}), 200)

    # Non-last parts of 1000 bytes: Complete answers EntityTooSmall.
    def complete_xml(parts):
        return ("<CompleteMultipartUpload>" + "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>" % p
            for p in parts) + "</CompleteMultipartUpload>").encode()

    save("Error_EntityTooSmall",
         *c.call("POST", "/%s/mpu/big.bin" % bucket, {"uploadId": upload_id},
                 complete_xml([(1, etags[0]), (2, etags[1]), (3, etags[2])])), 400)
    save("Error_InvalidPart",
         *c.call("POST", "/%s/mpu/big.bin" % bucket, {"uploadId": upload_id},
                 complete_xml([(1, "0" * 32)])), 400)
    save("CompleteMultipartUpload",
         *c.call("POST", "/%s/mpu/big.bin" % bucket, {"uploadId": upload_id},
                 complete_xml([(1, etags[0])])), 200)
    ok(*c.call("DELETE", "/%s/mpu/other.bin" % bucket, {"uploadId": other_id}), "abort")
    save("Error_NoSuchUpload",
         *c.call("GET", "/%s/mpu/other.bin" % bucket, {"uploadId": other_id}), 404)

    delete_body = ("<Delete>" + "".join("<Object><Key>%s</Key></Object>" % k for k in (
        "dir1/a.txt", "dir1/b.txt", "never-existed.txt")) + "</Delete>").encode()
    save("DeleteObjects", *c.call("POST", "/" + bucket, {"delete": ""}, delete_body, {
        "Content-MD5": base64.b64encode(hashlib.md5(delete_body).digest()).decode()}), 200)

    save("Error_NoSuchKey", *c.call("GET", "/%s/missing.txt" % bucket), 404)
    save("Error_NoSuchBucket", *c.call("GET", "/no-such-bucket-%s/x" % uuid.uuid4().hex[:8]), 404)
    save("Error_SignatureDoesNotMatch", *bad.call("GET", "/%s/top1.txt" % bucket), 403)

    # Clean up: abort the remaining upload, delete every object, the bucket.
    status, body = c.call("GET", "/" + bucket, {"uploads": ""})
    while b"<UploadId>" in body:
        uid = xml_value(body, b"UploadId")
        key = xml_value(body, b"Key")
        ok(*c.call("DELETE", "/%s/%s" % (bucket, key), {"uploadId": uid}), "abort")
        status, body = c.call("GET", "/" + bucket, {"uploads": ""})
    status, body = c.call("GET", "/" + bucket, {"list-type": "2"})
    while b"<Key>" in body:
        ok(*c.call("DELETE", "/%s/%s" % (bucket, xml_value(body, b"Key"))), "delete")
        status, body = c.call("GET", "/" + bucket, {"list-type": "2"})
    ok(*c.call("DELETE", "/" + bucket), "delete bucket")
    print("\n".join(index))


if __name__ == "__main__":
    main()
