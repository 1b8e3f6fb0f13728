#!/usr/bin/env python3
"""S3 side of scripts/bench.sh: the boto3 baselines, the test data and the timer.

Every command prints one line: seconds (or a word saying why not) on stdout; progress goes to
stderr. Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (the local server's
test:tester / testing by default); path-style addressing, region us-east-1.

  gen-tree DIR FILES SEED           FILES files of 1-64 KiB (random sizes and bytes, fixed seed)
  put-tree EP BUCKET DIR PREFIX THREADS     parallel PUT (with Content-MD5) of every file of DIR
  mpu EP BUCKET FILE KEY PART_MIB THREADS   multipart upload with Content-MD5 on every part
  get EP BUCKET KEY                 one single-stream GET, body read and discarded
  list EP BUCKET PREFIX             the ListObjectsV2 pages of PREFIX (delimiter '/', as readdir)
  fill EP BUCKET PREFIX COUNT THREADS       COUNT empty objects PREFIX00000... (setup, untimed)
  delete EP BUCKET KEY...           deletes objects (frees server disk between systems)
  timed [options] -- CMD...         runs CMD, then waits until its objects exist on the server:
      --poll EP --bucket B          where to look (the server itself, not the delaying proxy)
      --wait-key KEY --size N       ... until KEY exists with N bytes
      --wait-tree DIR --prefix P    ... until every file of DIR exists under P with its size
      --timeout SEC                 bound for the command and the wait together
      --stdout FILE                 where CMD's stdout goes (default: discarded)
    prints the seconds from CMD's start until its objects exist, "timeout", or "fail(rc=N)".
"""
import argparse
import base64
import concurrent.futures
import hashlib
import os
import random
import subprocess
import sys
import time

import boto3
import botocore.config

POLL_INTERVAL_S = 0.2
READ_CHUNK = 1 << 20


def client(endpoint, threads=16):
    config = botocore.config.Config(
        s3={"addressing_style": "path"},
        signature_version="s3v4",
        max_pool_connections=max(threads, 10),
        retries={"max_attempts": 3, "mode": "standard"},
        # Newer botocore adds CRC checksums (aws-chunked bodies) that Swift's s3api rejects.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test:tester"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        config=config,
    )


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def tree_files(root):
    """(relative path, size) of every regular file under root, sorted."""
    out = []
    for dirpath, _, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            out.append((os.path.relpath(path, root), os.path.getsize(path)))
    return sorted(out)


def cmd_gen_tree(a):
    rng = random.Random(a.seed)
    per_dir = 100  # a tree, not one flat directory
    total = 0
    for i in range(a.files):
        d = os.path.join(a.dir, "d%02d" % (i // per_dir))
        os.makedirs(d, exist_ok=True)
        size = rng.randint(1024, 65536)
        with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
            f.write(rng.randbytes(size))
        total += size
    print("%d files, %.1f MiB" % (a.files, total / 1048576), file=sys.stderr)
    return "ok"


def timed_call(fn):
    t0 = time.monotonic()
    fn()
    return "%.3f" % (time.monotonic() - t0)


def cmd_put_tree(a):
    s3 = client(a.endpoint, a.threads)
    files = tree_files(a.dir)

    def put(item):
        rel, _ = item
        with open(os.path.join(a.dir, rel), "rb") as f:
            data = f.read()
        s3.put_object(Bucket=a.bucket, Key=a.prefix + rel, Body=data, ContentMD5=md5_b64(data))

    def run():
        with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
            list(pool.map(put, files))

    return timed_call(run)


def cmd_mpu(a):
    s3 = client(a.endpoint, a.threads)
    part = a.part_mib << 20
    size = os.path.getsize(a.file)
    count = (size + part - 1) // part

    def upload(upload_id, number):
        with open(a.file, "rb") as f:
            f.seek((number - 1) * part)
            data = f.read(part)
        r = s3.upload_part(Bucket=a.bucket, Key=a.key, UploadId=upload_id, PartNumber=number,
                           Body=data, ContentMD5=md5_b64(data))
        return {"PartNumber": number, "ETag": r["ETag"]}

    def run():
        upload_id = s3.create_multipart_upload(Bucket=a.bucket, Key=a.key)["UploadId"]
        with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
            parts = list(pool.map(lambda n: upload(upload_id, n), range(1, count + 1)))
        s3.complete_multipart_upload(Bucket=a.bucket, Key=a.key, UploadId=upload_id,
                                     MultipartUpload={"Parts": parts})

    return timed_call(run)


def cmd_get(a):
    s3 = client(a.endpoint)

    def run():
        body = s3.get_object(Bucket=a.bucket, Key=a.key)["Body"]
        for _ in body.iter_chunks(READ_CHUNK):
            pass

    return timed_call(run)


def cmd_list(a):
    s3 = client(a.endpoint)
    seen = []

    def run():
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=a.bucket, Prefix=a.prefix, Delimiter="/")
        seen.append(sum(len(p.get("Contents", [])) for p in pages))

    secs = timed_call(run)
    print("listed %d entries" % seen[0], file=sys.stderr)
    return secs


def cmd_fill(a):
    s3 = client(a.endpoint, a.threads)

    def put(i):
        s3.put_object(Bucket=a.bucket, Key="%s%05d" % (a.prefix, i), Body=b"")

    with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
        list(pool.map(put, range(a.count)))
    return "ok"


def cmd_delete(a):
    s3 = client(a.endpoint)
    for key in a.keys:
        s3.delete_object(Bucket=a.bucket, Key=key)
    return "ok"


def objects_under(s3, bucket, prefix):
    sizes = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            sizes[o["Key"]] = o["Size"]
    return sizes


def key_size(s3, bucket, key):
    try:
        return s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except s3.exceptions.ClientError:
        return None


def cmd_timed(a):
    s3 = client(a.poll) if a.poll else None
    if a.wait_tree:
        want = {a.prefix + rel: size for rel, size in tree_files(a.wait_tree)}

        def done():
            have = objects_under(s3, a.bucket, a.prefix)
            return all(have.get(k) == v for k, v in want.items())
    elif a.wait_key:
        def done():
            return key_size(s3, a.bucket, a.wait_key) == a.size
    else:
        def done():
            return True
    out = open(a.stdout, "wb") if a.stdout else subprocess.DEVNULL
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    try:
        rc = subprocess.run(a.cmd, stdout=out, timeout=a.timeout).returncode
    except subprocess.TimeoutExpired:
        return "timeout"
    if rc != 0:
        return "fail(rc=%d)" % rc
    while not done():
        if time.monotonic() > deadline:
            return "timeout"
        time.sleep(POLL_INTERVAL_S)
    return "%.3f" % (time.monotonic() - t0)


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser("gen-tree")
    c.add_argument("dir")
    c.add_argument("files", type=int)
    c.add_argument("seed", type=int)
    c.set_defaults(fn=cmd_gen_tree)
    c = sub.add_parser("put-tree")
    for name in ("endpoint", "bucket", "dir", "prefix"):
        c.add_argument(name)
    c.add_argument("threads", type=int)
    c.set_defaults(fn=cmd_put_tree)
    c = sub.add_parser("mpu")
    for name in ("endpoint", "bucket", "file", "key"):
        c.add_argument(name)
    c.add_argument("part_mib", type=int)
    c.add_argument("threads", type=int)
    c.set_defaults(fn=cmd_mpu)
    c = sub.add_parser("get")
    for name in ("endpoint", "bucket", "key"):
        c.add_argument(name)
    c.set_defaults(fn=cmd_get)
    c = sub.add_parser("list")
    for name in ("endpoint", "bucket", "prefix"):
        c.add_argument(name)
    c.set_defaults(fn=cmd_list)
    c = sub.add_parser("fill")
    for name in ("endpoint", "bucket", "prefix"):
        c.add_argument(name)
    c.add_argument("count", type=int)
    c.add_argument("threads", type=int)
    c.set_defaults(fn=cmd_fill)
    c = sub.add_parser("delete")
    for name in ("endpoint", "bucket"):
        c.add_argument(name)
    c.add_argument("keys", nargs="+")
    c.set_defaults(fn=cmd_delete)
    c = sub.add_parser("timed")
    c.add_argument("--poll")
    c.add_argument("--bucket")
    c.add_argument("--wait-key")
    c.add_argument("--size", type=int)
    c.add_argument("--wait-tree")
    c.add_argument("--prefix", default="")
    c.add_argument("--timeout", type=float, default=1800)
    c.add_argument("--stdout")
    c.add_argument("cmd", nargs="+")
    c.set_defaults(fn=cmd_timed)
    return p.parse_args(argv)


def main():
    args = parse(sys.argv[1:])
    print(args.fn(args))


if __name__ == "__main__":
    main()
