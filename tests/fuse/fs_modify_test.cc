// Fuse tests of files that tools change after writing them: `>>` appends,
// truncate(1) of closed files, reads (and mmap) of a file still being
// written, git, and a random-operations run against a shadow file on local
// disk (pwrite anywhere, holes, ftruncate, O_APPEND, rename while open and
// closed, close and reopen without O_TRUNC), checked through the mount after
// every operation and in the bucket after every close and a remount.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

// Random operations on one file, mirrored on a shadow file. Prints the final
// name and the SHA-256 of the shadow.
constexpr char kRandomOpsScript[] = R"PY(
import hashlib, os, random, sys
import boto3
mount, shadow_dir, seed, ops, max_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s3 = boto3.client('s3', endpoint_url=os.environ['CHECK_ENDPOINT'], region_name='us-east-1',
                  aws_access_key_id=os.environ['CHECK_KEY'], aws_secret_access_key=os.environ['CHECK_SECRET'])
bucket = os.environ['CHECK_BUCKET']
rng = random.Random(seed)
MiB = 1 << 20
PART = 5 * MiB
name = 'f%d-0' % seed
path = os.path.join(mount, name)
shadow_path = os.path.join(shadow_dir, 'shadow-%d' % seed)
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
sfd = os.open(shadow_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
afd = None
renames = 0

def size():
    return os.fstat(sfd).st_size

def fail(msg):
    print('op %d: %s' % (op, msg)); sys.exit(1)

def check_range(off, n):
    got = os.pread(fd, n, off)
    want = os.pread(sfd, n, off)
    if got != want:
        diff = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
        fail('pread(%d, %d) differs at +%d (got %d bytes, want %d)' % (off, n, diff, len(got), len(want)))

def shadow_sha():
    h = hashlib.sha256()
    with open(shadow_path, 'rb') as f:
        for chunk in iter(lambda: f.read(MiB), b''): h.update(chunk)
    return h.hexdigest()

def check_object(key):
    # After close the object in the bucket is the shadow (one GetObject stream).
    h = hashlib.sha256()
    body = s3.get_object(Bucket=bucket, Key=key)['Body']
    for chunk in iter(lambda: body.read(MiB), b''): h.update(chunk)
    if h.hexdigest() != shadow_sha():
        fail('object %s differs from the shadow' % key)

def random_offset():
    r = rng.random()
    if r < 0.3:  # near a part boundary
        return max(0, min(max_size - 1, rng.randrange(1, max_size // PART + 1) * PART + rng.randint(-4096, 4096)))
    if r < 0.4:
        return size()
    return rng.randrange(max_size)

for op in range(ops):
    r = rng.random()
    if r < 0.45:
        off = random_offset()
        n = rng.choice([1, 17, 4096, 65536, 300000, 1100000]) if rng.random() < 0.97 else rng.randint(1, 2 * PART)
        n = max(1, min(n, max_size - off))
        data = rng.randbytes(n)
        if os.pwrite(fd, data, off) != n: fail('short pwrite')
        os.pwrite(sfd, data, off)
        check_range(max(0, off - 100), n + 200)
    elif r < 0.55:
        if afd is None:
            afd = os.open(path, os.O_WRONLY | os.O_APPEND)
        n = rng.randint(1, 70000)
        if size() + n > max_size:
            continue
        data = rng.randbytes(n)
        off = size()
        if os.write(afd, data) != n: fail('short append')
        os.pwrite(sfd, data, off)
        check_range(max(0, off - 10), n + 10)
    elif r < 0.65:
        new = rng.randrange(max_size) if rng.random() < 0.5 else rng.randrange(size() + 1)
        os.ftruncate(fd, new)
        os.ftruncate(sfd, new)
        if os.fstat(fd).st_size != new: fail('size %d after ftruncate(%d)' % (os.fstat(fd).st_size, new))
        check_range(max(0, new - 4096), 8192)
    elif r < 0.98:
        s = size()
        off = rng.randrange(s + 1)
        check_range(off, rng.randint(1, 3 * MiB))
    elif r < 0.992:
        # close and reopen without O_TRUNC; the bucket must then hold the shadow
        if afd is not None:
            os.close(afd); afd = None
        os.close(fd)
        check_object(name)
        fd = os.open(path, os.O_RDWR)
    else:
        new_name = 'f%d-%d' % (seed, renames + 1)
        new_path = os.path.join(mount, new_name)
        if rng.random() < 0.5:
            os.rename(path, new_path)  # while open
        else:
            if afd is not None:
                os.close(afd); afd = None
            os.close(fd)
            os.rename(path, new_path)
            fd = os.open(new_path, os.O_RDWR)
        if afd is not None:
            os.close(afd); afd = None
        renames += 1
        name, path = new_name, new_path
        if os.path.exists(os.path.join(mount, 'f%d-%d' % (seed, renames - 1))): fail('old name still there')
        check_range(0, 65536)
if afd is not None: os.close(afd)
os.close(fd)
check_object(name)
print('final', name, shadow_sha(), size())
)PY";

class FsModifyTest : public ::testing::Test {
 protected:
  FsModifyTest() : work_("fs-modify"), mount_(Spec()) {}

  static MountSpec Spec() {
    MountSpec spec;
    spec.options = {"part_size=5M"};
    return spec;
  }

  void SetUp() override {
    Status started = mount_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  CommandResult Run(const std::string& cmd, int seconds = 180) {
    auto r = RunCommand(cmd, std::chrono::seconds(seconds));
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output << mount_.Log();
    return r;
  }

  std::string Body(const std::string& key) { return ReadObjectOrError(mount_.store(), key); }

  TempDir work_;
  Mount mount_;
};

TEST_F(FsModifyTest, ShellAppendsThreeTimes) {
  const std::string f = ShellQuote(mount_.File("log"));
  Run("bash -c 'echo one > " + f + " && echo two >> " + f + " && echo three >> " + f +
      " && printf four >> " + f + "'");
  EXPECT_EQ(Run("cat " + f).output, "one\ntwo\nthree\nfour");
  EXPECT_EQ(Body("log"), "one\ntwo\nthree\nfour");
}

TEST_F(FsModifyTest, TruncateClosedFilesShrinkAndGrow) {
  const std::string src = work_.Sub("src");
  Run("head -c 12582912 /dev/urandom > " + ShellQuote(src) + " && cp " + ShellQuote(src) + " " +
      ShellQuote(mount_.File("t")));
  Run("truncate -s 7000001 " + ShellQuote(mount_.File("t")) + " && truncate -s 7000001 " +
      ShellQuote(src));
  EXPECT_EQ(Run("sha256sum < " + ShellQuote(mount_.File("t"))).output,
            Run("sha256sum < " + ShellQuote(src)).output);
  Run("truncate -s 16M " + ShellQuote(mount_.File("t")) + " && truncate -s 16M " + ShellQuote(src));
  EXPECT_EQ(Run("stat -c %s " + ShellQuote(mount_.File("t"))).output, "16777216\n");
  std::string want = Run("sha256sum < " + ShellQuote(src)).output;
  EXPECT_EQ(Run("sha256sum < " + ShellQuote(mount_.File("t"))).output, want);
  EXPECT_EQ(Sha256Hex(Body("t")) + "  -\n", want);
}

TEST_F(FsModifyTest, ReadAndMmapWhileWriting) {
  std::string script = work_.Sub("rw.py");
  std::ofstream(script) << R"PY(
import mmap, os, sys
p = sys.argv[1]
a = os.urandom(7 << 20)
f = open(p, 'w+b', buffering=0)
f.write(a)
with open(p, 'rb') as r:  # another handle, while the writer is open
    assert r.read() == a, 'read while writing'
    m = mmap.mmap(r.fileno(), 0, prot=mmap.PROT_READ)
    assert m[:] == a, 'mmap while writing'
    m.close()
f.seek(100)
f.write(b'rewritten part one')  # part 1 is already uploaded
b = a[:100] + b'rewritten part one' + a[118:]
f.seek(12 << 20)
f.write(b'after a hole')
b = b + b'\0' * ((12 << 20) - len(b)) + b'after a hole'
assert os.pread(f.fileno(), len(b), 0) == b, 'read through the writing handle'
with open(p, 'rb') as r:
    assert r.read() == b, 'second read while writing'
f.close()
with open(p, 'rb') as r:
    assert r.read() == b, 'read after close'
print('ok')
)PY";
  EXPECT_EQ(Run(Python3() + " " + ShellQuote(script) + " " + ShellQuote(mount_.File("rw"))).output,
            "ok\n");
  EXPECT_EQ(Body("rw").size(), (12u << 20) + 12);
}

TEST_F(FsModifyTest, RandomOperationsMatchAShadowFile) {
  std::string script = work_.Sub("ops.py");
  std::ofstream(script) << kRandomOpsScript;
  // PARTFS_RANDOM_OPS overrides the operations per seed (scripts/soak.sh runs more).
  const char* ops_env = getenv("PARTFS_RANDOM_OPS");
  const std::string ops = ops_env != nullptr ? ops_env : "1000";
  const std::string check_env = "CHECK_ENDPOINT=" + ShellQuote(mount_.endpoint().url) +
                                " CHECK_KEY=" + ShellQuote(mount_.endpoint().access_key) +
                                " CHECK_SECRET=" + ShellQuote(mount_.endpoint().secret_key) +
                                " CHECK_BUCKET=" + ShellQuote(mount_.bucket()) + " ";
  // The three seeds run at the same time, each on its own file (as three
  // programs would): the mount serves them concurrently.
  std::string cmd = "pids=; for seed in 11 12 13; do " + check_env + Python3() + " " +
                    ShellQuote(script) + " " + ShellQuote(mount_.path()) + " " +
                    ShellQuote(work_.path()) + " $seed " + ops + " " + std::to_string(40 << 20) +
                    " > " + ShellQuote(work_.path()) + "/out-$seed 2>&1 & pids=\"$pids $!\"; " +
                    "done; rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc";
  auto r = RunCommand(cmd, std::chrono::seconds(300 + std::stoul(ops) / 4));
  for (int seed : {11, 12, 13}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::ifstream in(work_.Sub("out-" + std::to_string(seed)));
    std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto at = output.rfind("final ");
    ASSERT_NE(at, std::string::npos) << output << mount_.Log();
    std::string name, sha;
    uint64_t size = 0;
    std::istringstream(output.substr(at + 6)) >> name >> sha >> size;
    std::string body = Body(name);
    EXPECT_EQ(body.size(), size);
    EXPECT_EQ(Sha256Hex(body), sha) << "the object differs from the shadow";
  }
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(mount_.Unmount().ok());
  ASSERT_TRUE(mount_.Remount().ok());
  for (int seed : {11, 12, 13}) {
    std::string shadow = work_.Sub("shadow-" + std::to_string(seed));
    auto listed =
        Run("ls " + ShellQuote(mount_.path()) + " | grep '^f" + std::to_string(seed) + "-'").output;
    ASSERT_FALSE(listed.empty());
    listed.pop_back();
    EXPECT_EQ(listed.find('\n'), std::string::npos) << "one name per file: " << listed;
    EXPECT_EQ(Run("cmp " + ShellQuote(shadow) + " " + ShellQuote(mount_.File(listed))).output, "");
  }
}

TEST_F(FsModifyTest, GitInitAddCommitFsckAndCloneRoundTrip) {
  const std::string repo = mount_.File("repo");
  const std::string env =
      "GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t "
      "GIT_COMMITTER_EMAIL=t@e HOME=" +
      ShellQuote(work_.path()) + " ";
  Run("mkdir " + ShellQuote(repo) + " && cd " + ShellQuote(repo) + " && " + env +
      "git init -q && echo hello > a.txt && mkdir d && head -c 300000 /dev/urandom > d/b.bin && " +
      env + "git add . && " + env + "git commit -qm first && echo more >> a.txt && " + env +
      "git commit -qam second && " + env + "git fsck --strict && " + env + "git log --oneline");
  EXPECT_EQ(Run("cd " + ShellQuote(repo) + " && " + env + "git status --porcelain").output, "");
  // clone --bare into the mount and back out: identical history and files.
  const std::string src = work_.Sub("src");
  Run("mkdir " + ShellQuote(src) + " && cd " + ShellQuote(src) + " && " + env +
      "git init -q && for i in $(seq 1 30); do echo $i > f$i; " + env + "git add f$i; " + env +
      "git commit -qm c$i; done");
  Run(env + "git clone -q --bare " + ShellQuote(src) + " " + ShellQuote(mount_.File("bare.git")));
  Run(env + "git clone -q " + ShellQuote(mount_.File("bare.git")) + " " +
      ShellQuote(work_.Sub("back")));
  EXPECT_EQ(Run("cd " + ShellQuote(work_.Sub("back")) + " && git rev-parse HEAD").output,
            Run("cd " + ShellQuote(src) + " && git rev-parse HEAD").output);
  Run("diff -r --exclude=.git " + ShellQuote(src) + " " + ShellQuote(work_.Sub("back")));
  Run("cd " + ShellQuote(mount_.File("bare.git")) + " && " + env + "git fsck --strict");
}

// kill -9 at different moments of an in-place change (rewrite of the first
// MiB, then appends): after the remount's recovery the object is the old one
// or the new one as far as it was written, never a mix cut short.
TEST_F(FsModifyTest, KillNineDuringAnInPlaceChangeLeavesTheOldOrTheNewVersion) {
  constexpr uint64_t kMiB = 1 << 20;
  const std::string old_data = TestBytes(22 * kMiB + 777, 1);
  const std::string first = TestBytes(kMiB, 2);
  const std::string added = TestBytes(8 * kMiB, 3);
  const std::string src = work_.Sub("old"), b = work_.Sub("b"), c = work_.Sub("c");
  std::ofstream(src, std::ios::binary) << old_data;
  std::ofstream(b, std::ios::binary) << first;
  std::ofstream(c, std::ios::binary) << added;
  std::string script = work_.Sub("change.py");
  std::ofstream(script) << R"PY(
import os, sys
p, b, c = sys.argv[1], open(sys.argv[2], 'rb').read(), open(sys.argv[3], 'rb').read()
fd = os.open(p, os.O_RDWR)
os.pwrite(fd, b, 0)
end = os.fstat(fd).st_size
for i in range(0, len(c), 1 << 20):
    os.pwrite(fd, c[i:i + (1 << 20)], end + i)
    os.fsync(fd)
os.close(fd)
print('done', flush=True)
)PY";
  int olds = 0, news = 0;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string name = "k" + std::to_string(round);
    Run("cp " + ShellQuote(src) + " " + ShellQuote(mount_.File(name)));
    // Kill after 0.3 s, 1 s and 2 s of the change: while the old object is
    // copied, among the appends, near the end.
    const char* delays[] = {"0.3", "1", "2"};
    RunCommand(Python3() + " " + ShellQuote(script) + " " + ShellQuote(mount_.File(name)) + " " +
                   ShellQuote(b) + " " + ShellQuote(c) + " & sleep " + delays[round] +
                   "; kill -9 " + std::to_string(mount_.pid()) + "; wait",
               std::chrono::seconds(120));
    mount_.Kill9();
    ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(mount_, std::chrono::seconds(120)));
    std::string body = Body(name);
    if (body == old_data) {
      ++olds;
      continue;
    }
    ++news;
    ASSERT_GE(body.size(), old_data.size()) << "cut short";
    EXPECT_EQ(body.substr(0, first.size()), first) << "the first write is missing";
    EXPECT_TRUE(body.compare(first.size(), old_data.size() - first.size(), old_data, first.size(),
                             std::string::npos) == 0)
        << "old bytes changed";
    const std::string tail = body.substr(old_data.size());
    EXPECT_EQ(tail, added.substr(0, tail.size()))
        << "appended bytes are not a prefix of the appends";
  }
  std::printf("[KillNineInPlace] old version %d times, new version %d times\n", olds, news);
}

TEST_F(FsModifyTest, BorgInitCreateCheckAndExtractAfterARemountWithAnEmptyCache) {
  const std::string src = work_.Sub("tree");
  Run("mkdir -p " + ShellQuote(src + "/sub/deeper") + " && cd " + ShellQuote(src) +
      " && for i in $(seq 1 40); do head -c $((i * 17000)) /dev/urandom > f$i; done"
      " && head -c 30000000 /dev/urandom > sub/big && head -c 6000000 /dev/urandom > "
      "sub/deeper/mid && ln -s f1 link && chmod 600 f2");
  const std::string env = "BORG_BASE_DIR=" + ShellQuote(work_.Sub("borg")) +
                          " BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes "
                          "BORG_RELOCATED_REPO_ACCESS_IS_OK=yes ";
  const std::string repo = ShellQuote(mount_.File("repo"));
  Run(env + "borg init -e none " + repo);
  Run("cd " + ShellQuote(work_.path()) + " && " + env + "borg create " + repo + "::one tree");
  Run(env + "borg check --verify-data " + repo, 300);
  // A remount with an emptied cache: everything comes from the bucket.
  ASSERT_TRUE(mount_.Unmount().ok());
  Run("rm -rf " + ShellQuote(mount_.cache_dir()));
  ASSERT_TRUE(mount_.Remount().ok());
  const std::string out = work_.Sub("out");
  Run("mkdir " + ShellQuote(out) + " && cd " + ShellQuote(out) + " && " + env + "borg extract " +
      repo + "::one");
  Run("diff -r --no-dereference " + ShellQuote(src) + " " + ShellQuote(out + "/tree"));
  EXPECT_EQ(Run(env + "borg list --short " + repo).output, "one\n");
}

}  // namespace
}  // namespace partfs::testing
