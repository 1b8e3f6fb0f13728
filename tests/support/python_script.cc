#include "tests/support/python_script.h"

#include <fstream>

#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"

namespace partfs::testing {

std::string WriteMountPythonScript(const std::string& path, const std::string& mount_point,
                                   const std::string& body) {
  std::ofstream(path) << "import os, sys, errno, stat\n"
                         "M = '"
                      << mount_point
                      << "'\n"
                         "def err(fn):\n"
                         "    try:\n"
                         "        fn()\n"
                         "        return 'ok'\n"
                         "    except OSError as e:\n"
                         "        return errno.errorcode[e.errno]\n"
                      << body;
  return Python3() + " " + ShellQuote(path);
}

}  // namespace partfs::testing
