// Fuse tests of reads with read-ahead (the default mount): an object written by
// another client (boto3) read sequentially (SHA-256), by random preads checked
// against the bytes put, by two readers at once, and again after the other
// client replaced it (the new content after a reopen once stat_ttl passed);
// the kernel's page cache kept across opens of an unchanged file (keep_cache)
// and dropped after a write through the mount or another client's change.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/mounted_test.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"

namespace partfs::testing {
namespace {

// The mount's stat_ttl (seconds): other clients' changes show after it.
constexpr int kStatTtl = 5;

// argv: mount point, test ("big", "concurrent", "replace", "keep-first",
// "keep-again", "keep-write" or "keep-other"). Env: the bucket's endpoint,
// credentials and name. Prints "ok" or what differed.
constexpr char kReadScript[] = R"PY(
import hashlib, os, random, sys, threading, time
import boto3
mount, test = sys.argv[1], sys.argv[2]
TTL = float(os.environ['CHECK_TTL'])
s3 = boto3.client('s3', endpoint_url=os.environ['CHECK_ENDPOINT'], region_name='us-east-1',
                  aws_access_key_id=os.environ['CHECK_KEY'], aws_secret_access_key=os.environ['CHECK_SECRET'])
bucket = os.environ['CHECK_BUCKET']
MiB = 1 << 20

def fail(msg):
    print(msg); sys.exit(1)

def read_all(path, step):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for piece in iter(lambda: f.read(step), b''): h.update(piece)
    return h.hexdigest()

if test == 'big':
    data = random.Random(1).randbytes(100 * MiB + 12345)
    s3.put_object(Bucket=bucket, Key='big', Body=data)
    want = hashlib.sha256(data).hexdigest()
    path = os.path.join(mount, 'big')
    if read_all(path, MiB) != want: fail('sequential read differs')
    # Random preads, some across the end, mixed with short sequential runs.
    rng = random.Random(2)
    fd = os.open(path, os.O_RDONLY)
    for i in range(120):
        off = rng.randrange(0, len(data) + 1000)
        n = rng.choice([1, 4096, 100000, 300000])
        runs = rng.choice([1, 1, 1, 6])
        for _ in range(runs):
            got = os.pread(fd, n, off)
            if got != data[off:off + n]: fail('pread(%d, %d) differs' % (off, n))
            off += n
    os.close(fd)
elif test == 'concurrent':
    data = random.Random(6).randbytes(32 * MiB + 999)
    s3.put_object(Bucket=bucket, Key='c', Body=data)
    path = os.path.join(mount, 'c')
    # Two readers of one file at the same time, one from the middle.
    results = {}
    def reader(name, start):
        h = hashlib.sha256()
        with open(path, 'rb') as f:
            f.seek(start)
            for piece in iter(lambda: f.read(256 * 1024), b''): h.update(piece)
        results[name] = h.hexdigest()
    threads = [threading.Thread(target=reader, args=('a', 0)),
               threading.Thread(target=reader, args=('b', 16 * MiB))]
    for t in threads: t.start()
    for t in threads: t.join()
    if results.get('a') != hashlib.sha256(data).hexdigest(): fail('concurrent reader a differs')
    if results.get('b') != hashlib.sha256(data[16 * MiB:]).hexdigest(): fail('concurrent reader b differs')
elif test == 'replace':
    path = os.path.join(mount, 'r')
    old = random.Random(3).randbytes(8 * MiB + 1)
    s3.put_object(Bucket=bucket, Key='r', Body=old)
    if read_all(path, 128 * 1024) != hashlib.sha256(old).hexdigest(): fail('first read differs')
    # A reader that stays open while the other client replaces the object.
    fd = os.open(path, os.O_RDONLY)
    if os.pread(fd, MiB, 0) != old[:MiB]: fail('open reader differs')
    new = random.Random(4).randbytes(8 * MiB + 1)  # same size: only the content tells
    s3.put_object(Bucket=bucket, Key='r', Body=new)
    time.sleep(TTL + 0.5)  # the mount's stat_ttl
    if read_all(path, 128 * 1024) != hashlib.sha256(new).hexdigest(): fail('reread after replace differs')
    os.close(fd)
    shorter = random.Random(5).randbytes(3 * MiB + 7)
    s3.put_object(Bucket=bucket, Key='r', Body=shorter)
    time.sleep(TTL + 0.5)
    with open(path, 'rb') as f:
        got = f.read()
    if got != shorter: fail('reread after a shorter replace differs (%d bytes)' % len(got))
elif test.startswith('keep-'):
    path = os.path.join(mount, 'k')
    first = random.Random(7).randbytes(4 * MiB + 7)
    written = b'W' * MiB + first[MiB:]
    other = random.Random(8).randbytes(4 * MiB + 7)  # same size: only the content tells
    def check(want, what):
        with open(path, 'rb') as f:
            if f.read() != want: fail(what + ' differs')
    if test == 'keep-first':
        s3.put_object(Bucket=bucket, Key='k', Body=first)
        check(first, 'first read')
    elif test == 'keep-again':
        check(first, 'second read')
    elif test == 'keep-write':
        with open(path, 'r+b') as f:
            f.write(b'W' * MiB)
        check(written, 'read after a write through the mount')
        check(written, 'second read after a write through the mount')
    elif test == 'keep-other':
        s3.put_object(Bucket=bucket, Key='k', Body=other)
        time.sleep(TTL + 0.5)
        check(other, 'read after another client replaced it')
print('ok')
)PY";

class FsReadTest : public MountedTest {
 protected:
  FsReadTest() : MountedTest("fs-read", Spec()) {}

  static MountSpec Spec() {
    MountSpec spec;
    spec.options = {"stat_ttl=" + std::to_string(kStatTtl)};
    return spec;
  }

  std::string RunScript(const std::string& test) {
    std::string script = NextScriptPath();
    Run("cat > " + ShellQuote(script) + " <<'PARTFS_EOF'\n" + kReadScript + "PARTFS_EOF\n");
    const std::string env = "CHECK_ENDPOINT=" + ShellQuote(mount_.endpoint().url) +
                            " CHECK_KEY=" + ShellQuote(mount_.endpoint().access_key) +
                            " CHECK_SECRET=" + ShellQuote(mount_.endpoint().secret_key) +
                            " CHECK_BUCKET=" + ShellQuote(mount_.bucket()) +
                            " CHECK_TTL=" + std::to_string(kStatTtl) + " ";
    return Run(env + Python3() + " " + ShellQuote(script) + " " + ShellQuote(mount_.path()) + " " +
               test);
  }
};

TEST_F(FsReadTest, SequentialAndRandomReadsOfAnObjectFromAnotherClient) {
  EXPECT_EQ(RunScript("big"), "ok\n");
}

TEST_F(FsReadTest, TwoReadersOfOneFileAtOnce) { EXPECT_EQ(RunScript("concurrent"), "ok\n"); }

TEST_F(FsReadTest, ReopenAfterAnotherClientReplacedTheObjectReadsTheNewContent) {
  EXPECT_EQ(RunScript("replace"), "ok\n");
}

TEST_F(FsReadTest, KernelKeepsThePagesOfAnUnchangedFileAndDropsThemAfterAChange) {
  EXPECT_EQ(RunScript("keep-first"), "ok\n");
  const int before = CountBucketRequests(mount_.endpoint(), mount_.bucket());
  EXPECT_EQ(RunScript("keep-again"), "ok\n");
  if (before >= 0) {
    // Within stat_ttl: no HEAD, and no GET either (the pages were kept).
    EXPECT_EQ(CountBucketRequests(mount_.endpoint(), mount_.bucket()) - before, 0)
        << "requests of a second read of an unchanged file";
  }
  EXPECT_EQ(RunScript("keep-write"), "ok\n");
  EXPECT_EQ(RunScript("keep-other"), "ok\n");
}

}  // namespace
}  // namespace partfs::testing
