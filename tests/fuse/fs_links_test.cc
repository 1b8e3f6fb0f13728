// Fuse tests of symlinks (stored the s3fs way), hard links, O_EXCL create,
// fallocate, statfs and access on a real mount; each checks one row of
// docs/SEMANTICS.md, through the mount and with GetObject.
#include <sys/stat.h>

#include <chrono>
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

namespace partfs::testing {
namespace {

class FsLinksTest : public MountedTest {
 protected:
  FsLinksTest() : MountedTest("fs-links") {}

  // Runs `body` after the prelude of WriteMountPythonScript (M, err(fn));
  // returns stdout.
  std::string Python(const std::string& body) {
    return Run(WriteMountPythonScript(NextScriptPath(), mount_.path(), body));
  }

  // A local tree with a file, a subdirectory, relative and absolute symlinks
  // (to a file, to a directory, up a level) and a dangling one.
  std::string MakeTreeWithLinks() {
    std::string src = work_.Sub("src");
    Run("mkdir -p " + ShellQuote(src + "/sub") + " && cd " + ShellQuote(src) +
        " && echo hello > x && echo deep > sub/y && ln -s x to-x && ln -s ../x sub/up &&"
        " ln -s sub to-dir && ln -s /nonexistent/target dangling && ln -s /etc/hostname abs &&"
        " touch -h -d '2001-02-03 04:05:06' to-x sub/up dangling");
    return src;
  }

  void ExpectSameTree(const std::string& a, const std::string& b) {
    Run("diff -r --no-dereference " + ShellQuote(a) + " " + ShellQuote(b));
    auto links = [&](const std::string& dir) {
      // tar, rsync -a and cp -a also carry the links' own mtimes (lutimes).
      return Run("cd " + ShellQuote(dir) +
                 " && find . -type l -printf '%P -> %l %TY-%Tm-%Td_%TH:%TM:%.2TS\\n' | sort");
    };
    EXPECT_EQ(links(a), links(b));
    EXPECT_NE(links(a), "");
  }
};

TEST_F(FsLinksTest, SymlinkReadlinkLstatAndStoredLikeS3fs) {
  EXPECT_EQ(Python("open(M + '/x', 'w').write('hello')\n"
                   "os.symlink('x', M + '/l')\n"
                   "os.mkdir(M + '/d')\n"
                   "os.symlink('../x', M + '/d/up')\n"
                   "os.symlink('/nonexistent', M + '/dangling')\n"
                   "st = os.lstat(M + '/l')\n"
                   "print(stat.S_ISLNK(st.st_mode), st.st_size, os.readlink(M + '/l'))\n"
                   "print(open(M + '/l').read(), open(M + '/d/up').read(), "
                   "os.stat(M + '/d/up').st_size)\n"
                   "print(os.path.exists(M + '/dangling'), os.path.lexists(M + '/dangling'))\n"
                   "print(err(lambda: os.symlink('y', M + '/l')), "
                   "err(lambda: os.symlink('y', M + '/d')))\n"
                   "print(sorted(os.listdir(M)))\n"),
            "True 1 x\nhello hello 5\nFalse True\nEEXIST EEXIST\n['d', 'dangling', 'l', 'x']\n");
  EXPECT_EQ(ReadObjectOrError(mount_.store(), "d/up"), "../x");
  auto info = mount_.store().HeadObject("l");
  ASSERT_TRUE(info.ok());
  FileMetadata meta = ParseFileMetadata(info->user_metadata);
  ASSERT_TRUE(meta.mode.has_value());
  EXPECT_EQ(*meta.mode, S_IFLNK | 0777u);
  EXPECT_TRUE(meta.uid.has_value() && meta.gid.has_value() && meta.mtime.has_value());
  // readdir types: find sees the links as links.
  EXPECT_EQ(Run("cd " + ShellQuote(mount_.path()) + " && find . -type l | sort"),
            "./d/up\n./dangling\n./l\n");
  // Rename and unlink of a link act on the link.
  EXPECT_EQ(Python("os.rename(M + '/l', M + '/m')\n"
                   "print(os.readlink(M + '/m'), open(M + '/m').read())\n"
                   "os.unlink(M + '/m')\n"
                   "print(os.path.lexists(M + '/m'), open(M + '/x').read())\n"),
            "x hello\nFalse hello\n");
  EXPECT_FALSE(mount_.store().HeadObject("m").ok());
}

// A symlink object written by s3fs (or another mount) is a symlink here; links survive a remount.
TEST_F(FsLinksTest, ForeignSymlinkObjectIsALink) {
  ASSERT_TRUE(
      mount_.store()
          .PutObjectFromString("foreign", "some/where", {{"mode", std::to_string(S_IFLNK | 0777)}})
          .ok());
  EXPECT_EQ(Python("print(os.readlink(M + '/foreign'))\n"), "some/where\n");
  EXPECT_EQ(Python("os.symlink('a/b', M + '/mine')\n"), "");
  Status unmounted = mount_.Unmount();
  ASSERT_TRUE(unmounted.ok()) << unmounted.ToString();
  Status remounted = mount_.Remount();
  ASSERT_TRUE(remounted.ok()) << remounted.ToString();
  EXPECT_EQ(Python("print(os.readlink(M + '/foreign'), os.readlink(M + '/mine'))\n"),
            "some/where a/b\n");
}

TEST_F(FsLinksTest, TarRsyncAndCpKeepSymlinks) {
  std::string src = MakeTreeWithLinks();
  const std::string m = mount_.path();
  Run("mkdir " + ShellQuote(m + "/t") + " && tar -C " + ShellQuote(src) + " -cf - . | tar -C " +
      ShellQuote(m + "/t") + " -xf -");
  ExpectSameTree(src, m + "/t");
  std::string out = work_.Sub("tar-out");
  Run("mkdir " + ShellQuote(out) + " && tar -C " + ShellQuote(m + "/t") + " -cf - . | tar -C " +
      ShellQuote(out) + " -xf -");
  ExpectSameTree(src, out);

  Run("rsync -a " + ShellQuote(src + "/") + " " + ShellQuote(m + "/r/"));
  ExpectSameTree(src, m + "/r");
  std::string rsync_out = work_.Sub("rsync-out");
  Run("rsync -a " + ShellQuote(m + "/r/") + " " + ShellQuote(rsync_out + "/"));
  ExpectSameTree(src, rsync_out);

  Run("cp -a " + ShellQuote(src) + " " + ShellQuote(m + "/c"));
  ExpectSameTree(src, m + "/c");
  std::string cp_out = work_.Sub("cp-out");
  Run("cp -a " + ShellQuote(m + "/c") + " " + ShellQuote(cp_out));
  ExpectSameTree(src, cp_out);
}

// git stores symlinks as mode 120000 entries: a commit made in the mount and
// cloned back out has the same links.
TEST_F(FsLinksTest, GitCommitInTheMountKeepsSymlinks) {
  std::string src = MakeTreeWithLinks();
  const std::string repo = mount_.File("repo"), clone = work_.Sub("clone");
  Run("cp -a " + ShellQuote(src) + " " + ShellQuote(repo) + " && cd " + ShellQuote(repo) +
      " && git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm one"
      " && git fsck --no-progress");
  EXPECT_EQ(Run("cd " + ShellQuote(repo) + " && git ls-files -s | grep -c '^120000'"), "5\n");
  Run("git clone -q " + ShellQuote(repo) + " " + ShellQuote(clone) + " && rm -rf " +
      ShellQuote(clone + "/.git"));
  Run("diff -r --no-dereference --exclude=.git " + ShellQuote(src) + " " + ShellQuote(clone));
}

TEST_F(FsLinksTest, HardLinkIsEperm) {
  EXPECT_EQ(Python("open(M + '/a', 'w').write('a')\n"
                   "print(err(lambda: os.link(M + '/a', M + '/b')), os.path.exists(M + '/b'))\n"),
            "EPERM False\n");
  auto ln = RunCommand("ln " + ShellQuote(mount_.File("a")) + " " + ShellQuote(mount_.File("b")),
                       std::chrono::seconds(30));
  EXPECT_NE(ln.exit_code, 0);
  EXPECT_NE(ln.output.find("Operation not permitted"), std::string::npos) << ln.output;
}

TEST_F(FsLinksTest, ExclusiveCreateOfAnExistingFileIsEexist) {
  EXPECT_EQ(Python("open(M + '/lock', 'w').write('held')\n"
                   "flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL\n"
                   "print(err(lambda: os.open(M + '/lock', flags)))\n"
                   "os.mkdir(M + '/dir')\n"
                   "print(err(lambda: os.open(M + '/dir', flags)))\n"
                   "fd = os.open(M + '/new', flags, 0o644); os.write(fd, b'n'); os.close(fd)\n"
                   "print(open(M + '/lock').read(), open(M + '/new').read())\n"),
            "EEXIST\nEEXIST\nheld n\n");
}

TEST_F(FsLinksTest, FallocateGrowsAndOtherModesAreEopnotsupp) {
  // Mode 0 through a handle that is writing grows the file like ftruncate.
  EXPECT_EQ(Python("import ctypes\n"
                   "libc = ctypes.CDLL(None, use_errno=True)\n"
                   "def falloc(fd, mode, off, length):\n"
                   "    if libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(length)):\n"
                   "        e = ctypes.get_errno()\n"
                   "        return 'EOPNOTSUPP' if e == errno.EOPNOTSUPP else errno.errorcode[e]\n"
                   "    return 'ok'\n"
                   "fd = os.open(M + '/f', os.O_WRONLY | os.O_CREAT, 0o644)\n"
                   "os.write(fd, b'0123456789')\n"
                   "print(falloc(fd, 0, 0, 4), os.fstat(fd).st_size)\n"
                   "print(falloc(fd, 0, 1000, 24), os.fstat(fd).st_size)\n"
                   "print(falloc(fd, 1, 0, 4096))\n"  // FALLOC_FL_KEEP_SIZE
                   "os.close(fd)\n"
                   "d = open(M + '/f', 'rb').read()\n"
                   "print(len(d), d[:10], d[10:] == bytes(1014))\n"),
            "ok 10\nok 1024\nEOPNOTSUPP\n1024 b'0123456789' True\n");
  // A file only grown (no write) completes at release, which the kernel sends after close().
  Run("fallocate -l 1048576 " + ShellQuote(mount_.File("g")));
  auto grown = mount_.store().HeadObject("g");
  for (int i = 0; i < 100 && !grown.ok(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    grown = mount_.store().HeadObject("g");
  }
  ASSERT_TRUE(grown.ok()) << grown.status().ToString() << mount_.Log();
  auto body = ReadObject(mount_.store(), "g");
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->size(), 1u << 20);
  EXPECT_EQ(body->find_first_not_of('\0'), std::string::npos);
  // -p (punch hole, keep size): util-linux reports the EOPNOTSUPP.
  auto punch = RunCommand("fallocate -p -o 0 -l 4096 " + ShellQuote(mount_.File("g")),
                          std::chrono::seconds(30));
  EXPECT_NE(punch.exit_code, 0);
  EXPECT_NE(punch.output.find("unsupported"), std::string::npos) << punch.output;
}

TEST_F(FsLinksTest, StatfsAndAccess) {
  Run("stat -f " + ShellQuote(mount_.path()) + " && df " + ShellQuote(mount_.path()));
  EXPECT_EQ(Python("s = os.statvfs(M)\n"
                   "print(s.f_bavail * s.f_frsize >= 1 << 50, s.f_ffree > 0, s.f_namemax)\n"
                   "open(M + '/r', 'w').write('r'); os.chmod(M + '/r', 0o644)\n"
                   "open(M + '/x', 'w').write('x'); os.chmod(M + '/x', 0o755)\n"
                   "print(os.access(M + '/r', os.R_OK | os.W_OK), os.access(M + '/r', os.X_OK),\n"
                   "      os.access(M + '/x', os.X_OK), os.access(M + '/nope', os.F_OK))\n"),
            "True True 255\nTrue False True False\n");
}

}  // namespace
}  // namespace partfs::testing
