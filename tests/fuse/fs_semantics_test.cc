// Fuse tests of partfs's POSIX semantics, one statement of docs/SEMANTICS.md
// each: rename, unlink, rmdir, overwrite, append, flush/fork, metadata, truncate.
// Each test drives the mount with a small python3 program that prints results
// and errno values.
#include <sys/stat.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "fs/file_metadata.h"
#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/mounted_test.h"
#include "tests/support/python_script.h"
#include "tests/support/read_object.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using testing::RunCommand;
using testing::ShellQuote;

class FsSemanticsTest : public testing::MountedTest {
 protected:
  FsSemanticsTest() : MountedTest("fs-semantics") {}

  // Runs `body` after the prelude of WriteMountPythonScript (M, err(fn)) and
  // a helper `data(path)` (a file's bytes); returns stdout.
  std::string Python(const std::string& body) {
    auto r = RunCommand(testing::WriteMountPythonScript(NextScriptPath(), mount_.path(),
                                                        "def data(p):\n"
                                                        "    with open(p, 'rb') as f:\n"
                                                        "        return f.read()\n" +
                                                            body),
                        std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << r.output << mount_.Log();
    return r.output;
  }

  bool Exists(const std::string& key) { return mount_.store().HeadObject(key).ok(); }
  std::string Body(const std::string& key) {
    return testing::ReadObjectOrError(mount_.store(), key);
  }
};

TEST_F(FsSemanticsTest, RenameClosedFileCopiesAndDeletes) {
  EXPECT_EQ(Python("open(M + '/a', 'w').write('hello')\n"
                   "os.rename(M + '/a', M + '/b')\n"
                   "print(os.path.exists(M + '/a'), data(M + '/b'))\n"),
            "False b'hello'\n");
  EXPECT_FALSE(Exists("a"));
  EXPECT_EQ(Body("b"), "hello");
}

TEST_F(FsSemanticsTest, RenameWhileWritingRetargetsUpload) {
  EXPECT_EQ(Python("f = open(M + '/tmp.part', 'wb')\n"
                   "f.write(b'x' * 100); f.flush()\n"
                   "os.rename(M + '/tmp.part', M + '/final')\n"
                   "f.write(b'y' * 100)\n"
                   "f.close()\n"
                   "print(sorted(os.listdir(M)))\n"),
            "['final']\n");
  EXPECT_FALSE(Exists("tmp.part"));
  EXPECT_EQ(Body("final"), std::string(100, 'x') + std::string(100, 'y'));
}

TEST_F(FsSemanticsTest, RenameReplacesTarget) {
  EXPECT_EQ(Python("open(M + '/x', 'w').write('1')\n"
                   "open(M + '/y', 'w').write('2')\n"
                   "os.rename(M + '/x', M + '/y')\n"
                   "print(data(M + '/y'), os.path.exists(M + '/x'))\n"),
            "b'1' False\n");
}

TEST_F(FsSemanticsTest, UnlinkClosedAndWhileWriting) {
  EXPECT_EQ(Python("open(M + '/gone', 'w').write('bye')\n"
                   "os.unlink(M + '/gone')\n"
                   "print(os.path.exists(M + '/gone'), err(lambda: os.unlink(M + '/gone')))\n"
                   "f = open(M + '/scratch', 'wb')\n"
                   "f.write(b'z' * 1000)\n"
                   "os.unlink(M + '/scratch')\n"
                   "f.write(b'z' * 1000)\n"
                   "f.close()\n"
                   "print(os.listdir(M))\n"),
            "False ENOENT\n[]\n");
  EXPECT_FALSE(Exists("gone"));
  EXPECT_FALSE(Exists("scratch"));
}

TEST_F(FsSemanticsTest, RmdirNonEmptyIsEnotempty) {
  EXPECT_EQ(Python("os.mkdir(M + '/full')\n"
                   "open(M + '/full/f', 'w').write('x')\n"
                   "print(err(lambda: os.rmdir(M + '/full')))\n"
                   "os.mkdir(M + '/empty')\n"
                   "print(err(lambda: os.rmdir(M + '/empty')), os.path.exists(M + '/empty'))\n"),
            "ENOTEMPTY\nok False\n");
  EXPECT_FALSE(Exists("empty/"));
  EXPECT_TRUE(Exists("full/"));
}

TEST_F(FsSemanticsTest, OverwriteExistingFile) {
  EXPECT_EQ(Python("open(M + '/o', 'w').write('0123456789')\n"
                   // O_TRUNC replaces the object.
                   "open(M + '/o', 'w').write('new')\n"
                   "print(data(M + '/o'))\n"
                   // Without O_TRUNC: an in-place change at any offset.
                   "fd = os.open(M + '/o', os.O_WRONLY)\n"
                   "print(err(lambda: os.pwrite(fd, b'late', 2)))\n"
                   "os.write(fd, b'AB')\n"
                   "os.close(fd)\n"
                   "print(data(M + '/o'))\n"
                   // O_APPEND adds at the end.
                   "fd = os.open(M + '/o', os.O_WRONLY | os.O_APPEND)\n"
                   "os.write(fd, b'++'); os.close(fd)\n"
                   "print(data(M + '/o'))\n"),
            "b'new'\nok\nb'ABlate'\nb'ABlate++'\n");
  EXPECT_EQ(Body("o"), "ABlate++");
}

TEST_F(FsSemanticsTest, AppendToNewFileWorks) {
  EXPECT_EQ(Python("with open(M + '/log', 'a') as f:\n"
                   "    f.write('one\\n'); f.flush(); f.write('two\\n')\n"
                   "print(data(M + '/log'))\n"),
            "b'one\\ntwo\\n'\n");
}

TEST_F(FsSemanticsTest, FlushFromForkedChildDoesNotComplete) {
  EXPECT_EQ(Python("fd = os.open(M + '/forked', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
                   "os.write(fd, b'before ')\n"
                   "pid = os.fork()\n"
                   "if pid == 0:\n"
                   "    os.close(fd)\n"
                   "    os._exit(0)\n"
                   "os.waitpid(pid, 0)\n"
                   "os.write(fd, b'after')\n"
                   "os.close(fd)\n"
                   "print(data(M + '/forked'))\n"),
            "b'before after'\n");
}

TEST_F(FsSemanticsTest, WriteAfterFlushChangesTheFileInPlace) {
  EXPECT_EQ(Python("fd = os.open(M + '/dupped', os.O_WRONLY | os.O_CREAT, 0o644)\n"
                   "os.write(fd, b'first')\n"
                   "os.close(os.dup(fd))  # flush from the writing process completes the file\n"
                   "print(data(M + '/dupped'))\n"
                   "print(err(lambda: os.write(fd, b'second')))\n"
                   "os.close(fd)\n"
                   "print(data(M + '/dupped'))\n"),
            "b'first'\nok\nb'firstsecond'\n");
  EXPECT_EQ(Body("dupped"), "firstsecond");
}

TEST_F(FsSemanticsTest, WritableSharedMmapFailsAtMmap) {
  // Page writeback of a shared mapping could not report a refused write, so the
  // mapping itself is refused while the file is open for writing.
  EXPECT_EQ(Python("import mmap\n"
                   "fd = os.open(M + '/mapped', os.O_RDWR | os.O_CREAT, 0o644)\n"
                   "os.write(fd, b'x' * 4096)\n"
                   "print(err(lambda: mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_WRITE)))\n"
                   "os.close(fd)\n"
                   "print(len(data(M + '/mapped')))\n"),
            "ENODEV\n4096\n");
}

TEST_F(FsSemanticsTest, ReadWhileWritingSeesTheBytesWritten) {
  EXPECT_EQ(Python("f = open(M + '/busy', 'wb'); f.write(b'x'); f.flush()\n"
                   "print(data(M + '/busy'))\n"
                   "f.write(b'yz'); f.flush()\n"
                   "print(data(M + '/busy'))\n"
                   "f.close()\n"
                   "print(data(M + '/busy'))\n"),
            "b'x'\nb'xyz'\nb'xyz'\n");
}

TEST_F(FsSemanticsTest, ModeOwnerAndMtimeInMetadata) {
  EXPECT_EQ(Python("fd = os.open(M + '/m', os.O_WRONLY | os.O_CREAT, 0o640)\n"
                   "os.write(fd, b'm'); os.close(fd)\n"
                   "print(oct(os.stat(M + '/m').st_mode & 0o7777))\n"
                   "os.chmod(M + '/m', 0o600)\n"
                   "os.utime(M + '/m', (1500000000, 1500000000))\n"
                   "st = os.stat(M + '/m')\n"
                   "print(oct(st.st_mode & 0o7777), int(st.st_mtime))\n"),
            "0o640\n0o600 1500000000\n");
  // Honest mode copies the change onto the object about a second later.
  auto info = mount_.store().HeadObject("m");
  for (int i = 0;
       i < 100 && info.ok() &&
       ParseFileMetadata(info->user_metadata).mtime != std::optional<int64_t>(1500000000);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    info = mount_.store().HeadObject("m");
  }
  ASSERT_TRUE(info.ok());
  FileMetadata meta = ParseFileMetadata(info->user_metadata);
  ASSERT_TRUE(meta.mode.has_value());
  EXPECT_EQ(*meta.mode, S_IFREG | 0600u);
  EXPECT_EQ(meta.mtime.value_or(0), 1500000000);
  EXPECT_TRUE(meta.uid.has_value());
  EXPECT_EQ(Body("m"), "m");
}

TEST_F(FsSemanticsTest, TruncateClosedFile) {
  EXPECT_EQ(Python("open(M + '/t', 'w').write('abcdef')\n"
                   "print(err(lambda: os.truncate(M + '/t', 3)), data(M + '/t'))\n"
                   "print(err(lambda: os.truncate(M + '/t', 5)), data(M + '/t'))\n"
                   "print(err(lambda: os.truncate(M + '/t', 0)), os.stat(M + '/t').st_size)\n"),
            "ok b'abc'\nok b'abc\\x00\\x00'\nok 0\n");
  EXPECT_EQ(Body("t"), "");
}

TEST_F(FsSemanticsTest, StatfsSymlinkAndHardLink) {
  EXPECT_EQ(Python("s = os.statvfs(M)\n"
                   "print(s.f_bavail > 0, s.f_namemax)\n"
                   "open(M + '/l', 'w').write('l')\n"
                   "print(err(lambda: os.symlink('l', M + '/s')), "
                   "err(lambda: os.link(M + '/l', M + '/h')))\n"),
            "True 255\nok EPERM\n");
}

}  // namespace
}  // namespace partfs
